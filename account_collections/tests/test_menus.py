from odoo.tests import new_test_user, tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestMenus(CollectionsCommon):
    """Collections is an app of its own: Daily, Escalation, Reporting, Configuration."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="menu_manager",
            groups="account_collections.group_collections_manager",
        )
        cls.billing = new_test_user(
            cls.env, login="menu_billing", groups="account.group_account_invoice"
        )
        cls.root = cls.env.ref("account_collections.menu_account_collections_root")

    def _visible(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def _ref(self, name):
        return self.env.ref(f"account_collections.{name}")

    def test_an_app_with_its_icon(self):
        self.assertFalse(self.root.parent_id, "Collections is a top-level app menu")
        self.assertEqual(self.root.web_icon, "account_collections,static/description/icon.png")
        self.assertEqual(
            self.root.child_id.mapped("name"), ["Daily", "Escalation", "Reporting", "Configuration"]
        )
        sections = {
            "menu_account_collections_daily": [
                "menu_account_collection_worklist",
                "menu_account_collections",
                "menu_account_collection_communication",
                "menu_account_collection_communication_review",
                "menu_account_collection_promise",
                "menu_account_collection_dispute",
                "menu_account_collection_call",
                "menu_account_collection_locate",
            ],
            "menu_account_collections_escalation": [
                "menu_account_collection_plan",
                "menu_account_collection_hold",
                "menu_account_collection_credit_limit_request",
                "menu_account_collection_writeoff",
                "menu_account_collection_placement",
                "menu_account_collection_claim",
                "menu_account_collection_return",
            ],
            "menu_account_collections_reporting": [
                "menu_account_collection_aging_report",
                "menu_account_collection_activity_report",
                "menu_account_collection_kpi_snapshot",
                "menu_account_collection_provision",
            ],
        }
        for section, menus in sections.items():
            for menu in menus:
                self.assertEqual(self._ref(menu).parent_id, self._ref(section), menu)

    def test_invoicing_customers_keeps_odoo_entries_only(self):
        """Invoicing > Customers holds no collections entry any more, so Odoo's
        customer list is where Odoo puts it."""
        customers = self.env.ref("account.menu_finance_receivables")
        collections = self.env["ir.ui.menu"].search(
            [("id", "child_of", customers.id), ("id", "!=", customers.id)]
        )
        self.assertFalse(
            collections.filtered(
                lambda menu: menu.get_external_id()[menu.id].startswith("account_collections.")
            )
        )
        configuration = self.env.ref("account.menu_finance_configuration")
        self.assertNotIn(self._ref("menu_account_collection_config"), configuration.child_id)

    def test_collector_sees_daily_work_not_advanced_screens(self):
        visible = self._visible(self.collector)
        for menu in (
            "menu_account_collections_root",
            "menu_account_collection_worklist",
            "menu_account_collections",
            "menu_account_collection_plan",
            "menu_account_collection_aging_report",
        ):
            self.assertIn(self._ref(menu).id, visible, menu)
        for menu in (
            "menu_account_collection_remittance",
            "menu_account_collection_agency_statement",
            "menu_account_collection_provision",
            "menu_account_collection_config",
        ):
            self.assertNotIn(self._ref(menu).id, visible, menu)
        manager_visible = self._visible(self.manager)
        for menu in (
            "menu_account_collection_remittance",
            "menu_account_collection_provision",
            "menu_account_collection_policy",
        ):
            self.assertIn(self._ref(menu).id, manager_visible, menu)
        self.assertNotIn(self.root.id, self._visible(self.billing))

    def test_every_visible_screen_opens_for_its_users(self):
        """A menu a user sees opens a screen the user may read."""
        for user in (self.collector, self.manager):
            menus = self.env["ir.ui.menu"].browse(self._visible(user))
            menus = menus.filtered(lambda menu: menu.id in self._app_menu_ids())
            for menu in menus.filtered("action"):
                model = menu.action.sudo()._name == "ir.actions.act_window" and (
                    menu.action.sudo().res_model
                )
                if model:
                    self.assertTrue(
                        self.env[model].with_user(user).has_access("read"),
                        f"{user.login}: {menu.complete_name}",
                    )

    def _app_menu_ids(self):
        return set(self.env["ir.ui.menu"].search([("id", "child_of", self.root.id)]).ids)

    def test_screens_are_titled_as_their_menus(self):
        """The page title (the action's name) is the menu's name."""
        menus = self.env["ir.ui.menu"].search([("id", "child_of", self.root.id)])
        for menu in menus.filtered("action"):
            action = menu.action.sudo()
            if action.get_external_id()[action.id].startswith("account_collections."):
                self.assertEqual(action.name, menu.name, menu.complete_name)
