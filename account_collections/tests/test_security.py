from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestSecurity(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Rights Customer")
        cls._invoice(cls.customer, 100, "2026-03-01")
        cls.invoicing_user = new_test_user(
            cls.env, login="billing", groups="account.group_account_invoice"
        )
        cls.employee = new_test_user(cls.env, login="employee", groups="base.group_user")
        cls.manager = new_test_user(
            cls.env, login="colmanager", groups="account_collections.group_collections_manager"
        )
        cls.accounting_admin = new_test_user(
            cls.env, login="accadmin", groups="account.group_account_manager"
        )

    def test_groups_hierarchy(self):
        self.assertTrue(self.manager.has_group("account_collections.group_collections_user"))
        self.assertTrue(self.collector.has_group("account.group_account_invoice"))
        self.assertFalse(self.collector.has_group("account_collections.group_collections_manager"))
        self.assertTrue(
            self.accounting_admin.has_group("account_collections.group_collections_manager")
        )
        privilege = self.env.ref("account_collections.res_groups_privilege_collections")
        self.assertEqual(
            privilege.group_ids,
            self.env.ref("account_collections.group_collections_user")
            + self.env.ref("account_collections.group_collections_manager"),
        )

    def test_collections_users_read_the_overview(self):
        for user in (self.collector, self.manager, self.accounting_admin):
            rows = (
                self.env["account.collection.overview"]
                .with_user(user)
                .search([("partner_id", "=", self.customer.id)])
            )
            self.assertEqual(rows.total_overdue, 100.0, user.login)

    def test_others_cannot(self):
        for user in (self.invoicing_user, self.employee):
            with self.assertRaises(AccessError, msg=user.login):
                self.env["account.collection.overview"].with_user(user).search([])

    def test_nobody_writes_the_overview(self):
        row = (
            self.env["account.collection.overview"]
            .with_user(self.manager)
            .search([("partner_id", "=", self.customer.id)])
        )
        with self.assertRaises(AccessError):
            row.write({"total_overdue": 0})
        with self.assertRaises(AccessError):
            row.unlink()

    def test_menu_visibility(self):
        menu = self.env.ref("account_collections.menu_account_collections")
        visible = self.env["ir.ui.menu"].with_user(self.collector)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        hidden = self.env["ir.ui.menu"].with_user(self.invoicing_user)._visible_menu_ids()
        self.assertNotIn(menu.id, hidden)

    def test_collector_is_an_internal_user(self):
        portal = new_test_user(self.env, login="portalguy", groups="base.group_portal")
        users = self.env["res.users"].search(self.env["res.partner"]._fields["collector_id"].domain)
        self.assertIn(self.collector, users)
        self.assertNotIn(portal, users)
