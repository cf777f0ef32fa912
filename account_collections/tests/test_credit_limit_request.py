from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import DunningCommon


@tagged("post_install", "-at_install")
class TestCreditLimitRequest(DunningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seller = new_test_user(
            cls.env,
            login="limit_seller",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer = cls._customer("Limit Customer")
        cls.customer.with_company(cls.company).credit_limit = 1000.0

    def _request(self, user=None, amount=5000.0):
        return (
            self.env["account.collection.credit.limit.request"]
            .with_user(user or self.seller)
            .create(
                {
                    "partner_id": self.customer.id,
                    "requested_limit": amount,
                    "justification": "Seasonal orders",
                }
            )
        )

    def test_request_then_approve_applies_the_limit(self):
        request = self._request()
        self.assertEqual(request.current_limit, 1000.0)
        self.assertEqual(request.state, "to_approve")
        self.assertTrue(request.activity_ids)  # a manager is asked to review
        with self.assertRaises(UserError):
            request.action_approve()  # an invoicing user cannot
        request.with_user(self.manager).action_approve()
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.reviewed_by_id, self.manager)
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 5000.0)
        self.assertFalse(request.activity_ids)
        self.assertIn("5,000.00", self.customer.message_ids[0].body)
        with self.assertRaises(UserError):
            request.with_user(self.manager).write({"requested_limit": 1.0})
        with self.assertRaises(UserError):
            request.with_user(self.manager).action_refuse()

    def test_refused_request_keeps_the_limit(self):
        request = self._request()
        request.with_user(self.manager).action_refuse()
        self.assertEqual(request.state, "refused")
        self.assertEqual(self.customer.with_company(self.company).credit_limit, 1000.0)

    def test_negative_limit_is_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._request(amount=-1.0)

    def test_other_company_does_not_see_the_request(self):
        request = self._request()
        other = self.env["res.company"].create({"name": "Limit Other Co"})
        outsider = new_test_user(
            self.env,
            login="limit_outsider",
            groups="account_collections.group_collections_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        with self.assertRaises(AccessError):
            request.with_user(outsider).read(["requested_limit"])
