"""A credit hold holds over the external API: a salesperson cannot record an override.

The salesperson of a customer on hold calls ``/xmlrpc/2/object`` as a real user with
a password. The rows below are this addon's part of the role matrix (see
``account_collections/tests/test_rpc_matrix.py``): the test fails when a field or a
button the addon adds has none.
"""

import inspect
import xmlrpc.client

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.account_collections.tests.common import CollectionsCommon

MODULE = "account_collections_sale"
SALESMAN = "salesman"
COLLECTOR = "collector"
MANAGER = "manager"
ROLES = (SALESMAN, COLLECTOR, MANAGER)

#: (model, field): set only by "Confirm Despite Hold"; refused to every role.
PROTECTED = {
    ("sale.order", "collection_hold_override_by_id"),
    ("sale.order", "collection_hold_override_date"),
}
#: (model, field): computed, not stored: no client sets them.
NOT_PROTECTED = {
    ("sale.order", "collection_on_hold"): "computed, not stored",
    ("sale.order", "collection_hold_reason"): "computed, not stored",
}
#: (model, button): the roles that may press it.
BUTTONS = {("sale.order", "action_confirm_despite_hold"): {MANAGER}}

FAULT_USER_ERROR = 2
FAULT_ACCESS_ERROR = 4


@tagged("post_install", "-at_install")
class TestRpcSaleHold(CollectionsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            SALESMAN: cls._user("rpc_seller", "sales_team.group_sale_salesman"),
            COLLECTOR: cls._user(
                "rpc_sale_collector",
                "account_collections.group_collections_user,sales_team.group_sale_salesman",
            ),
            MANAGER: cls._user(
                "rpc_sale_manager",
                "account_collections.group_collections_manager,"
                "sales_team.group_sale_salesman_all_leads",
            ),
        }
        cls.customer = cls._customer("Held Buyer", email="held@example.com")
        cls.env["account.collection.hold"].create(
            {"partner_id": cls.customer.id, "reason": "Two invoices unpaid."}
        )
        cls.order = (
            cls.env["sale.order"]
            .with_user(cls.users[SALESMAN])
            .create(
                {
                    "partner_id": cls.customer.id,
                    "order_line": [
                        Command.create({"product_id": cls.product_a.id, "product_uom_qty": 1})
                    ],
                }
            )
        )

    @classmethod
    def _user(cls, login, groups):
        return new_test_user(
            cls.env,
            login=login,
            password=f"{login}-Pass-1",
            groups=groups,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _call(self, role, model, method, *args, **kwargs):
        user = self.users[role]
        # the server logs each refusal, and XML-RPC's deprecation in Odoo 19
        with mute_logger("odoo.http", "odoo.addons.rpc.controllers.xmlrpc"):
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, user.id, f"{user.login}-Pass-1", model, method, args, kwargs
            )

    def _refused(self, role, model, method, *args, **kwargs):
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._call(role, model, method, *args, **kwargs)
        fault = caught.exception
        self.assertIn(fault.faultCode, (FAULT_USER_ERROR, FAULT_ACCESS_ERROR), fault.faultString)
        return fault.faultString

    def test_every_field_and_button_has_a_row(self):
        classes = [
            cls
            for cls in type(self.env["sale.order"]).mro()
            if cls.__module__.startswith(f"odoo.addons.{MODULE}.")
        ]
        names = {name for cls in classes for name in vars(cls)}
        fields_added = {("sale.order", n) for n in names if n in self.env["sale.order"]._fields}
        self.assertEqual(fields_added, set(PROTECTED) | set(NOT_PROTECTED))
        buttons = {
            ("sale.order", n)
            for cls in classes
            for n, member in vars(cls).items()
            if n.startswith(("action_", "button_")) and inspect.isfunction(member)
        }
        self.assertEqual(buttons, set(BUTTONS))

    def test_salesman_cannot_forge_the_override_and_confirm(self):
        order = self.order
        self.assertTrue(order.collection_on_hold)
        for role in ROLES:
            for model, name in sorted(PROTECTED):
                value = self.users[MANAGER].id if name.endswith("_id") else "2026-03-31 10:00:00"
                with self.subTest(role=role, field=name):
                    message = self._refused(role, model, "write", order.ids, {name: value})
                    self.assertIn("Confirm Despite Hold", message)
                    self._refused(
                        role, model, "create",
                        [{"partner_id": self.customer.id, name: value}],
                    )  # fmt: skip
        # nor through the context's defaults
        forged_id = self._call(
            SALESMAN, "sale.order", "create", [{"partner_id": self.customer.id}],
            context={"default_collection_hold_override_by_id": self.users[MANAGER].id},
        )[0]  # fmt: skip
        forged = self.env["sale.order"].browse(forged_id)
        self.assertFalse(forged.collection_hold_override_by_id)
        # without the forged override, confirming stays refused, with the reason
        message = self._refused(SALESMAN, "sale.order", "action_confirm", order.ids)
        self.assertIn("credit hold", message)
        for role in ROLES:
            if role not in BUTTONS["sale.order", "action_confirm_despite_hold"]:
                with self.subTest(role=role, button="action_confirm_despite_hold"):
                    self._refused(role, "sale.order", "action_confirm_despite_hold", order.ids)
        order.invalidate_recordset()
        self.assertRecordValues(
            order, [{"state": "draft", "collection_hold_override_by_id": False}]
        )
        # the collections manager's override is recorded, with a note in the chatter
        self._call(MANAGER, "sale.order", "action_confirm_despite_hold", order.ids)
        order.invalidate_recordset()
        self.assertRecordValues(
            order, [{"state": "sale", "collection_hold_override_by_id": self.users[MANAGER].id}]
        )
        self.assertTrue(order.collection_hold_override_date)
        self.assertIn(f"by {self.users[MANAGER].name}", "".join(order.message_ids.mapped("body")))
