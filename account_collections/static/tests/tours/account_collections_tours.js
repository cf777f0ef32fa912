import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

const APP = "account_collections.menu_account_collections_root";

function openMenu(section, menu) {
    return [
        ...stepUtils.goToAppSteps(APP, "Open the Collections app"),
        {
            content: "Open the menu section",
            trigger: `.o_main_navbar [data-menu-xmlid="account_collections.${section}"]`,
            run: "click",
        },
        {
            content: "Open the screen",
            trigger: `.dropdown-menu [data-menu-xmlid="account_collections.${menu}"]`,
            run: "click",
        },
    ];
}

function editDate(content, date, shown) {
    return [
        {
            content: `${content}: open the date`,
            trigger: ".modal div[name=date] .o_input",
            run: "click",
        },
        {
            content,
            trigger: ".modal div[name=date] input",
            run: `edit ${date}`,
        },
        {
            content: "Close the date picker",
            trigger: ".modal .modal-title",
            run: "click",
        },
        {
            content: `The date reads ${shown}`,
            trigger: `.modal div[name=date] button:contains(${shown})`,
        },
    ];
}

function logCall(customer, outcome) {
    return [
        {
            content: `Log a call with ${customer}`,
            trigger: `.o_list_view .o_data_row:contains(${customer}) button[name=action_log_call]`,
            run: "click",
        },
        {
            content: "Open the outcomes",
            trigger: ".modal div[name=outcome] input",
            run: "click",
        },
        {
            content: "Choose the outcome",
            trigger: `.o_select_menu_menu .o_select_menu_item:contains(${outcome})`,
            run: "click",
        },
        {
            content: "Say what the customer said",
            trigger: ".modal div[name=notes] textarea",
            run: "edit Will pay next week",
        },
        {
            content: "Log the call",
            trigger: ".modal button[name=action_log]",
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("account_collections_worklist", {
    steps: () => [
        ...openMenu("menu_account_collections_daily", "menu_account_collection_worklist"),
        {
            content: "The worklist starts with the customer worth calling first",
            // a server round trip that rebuilds worklist rows: slow on a busy CI machine
            timeout: 30000,
            trigger: ".o_list_view .o_data_row:first:contains(Tour Silent)",
        },
        {
            content: "The phone and the chance of collecting, as a whole percentage",
            trigger: ".o_data_row:first td[name=phone]:contains(+1 555 0101)",
            run() {
                const chance = document.querySelector(".o_data_row td[name=probability]");
                if (!/^\d+%$/.test(chance.textContent.trim())) {
                    throw new Error(`Chance shown as "${chance.textContent}"`);
                }
            },
        },
        ...logCall("Tour Silent", "No Answer"),
        {
            content: "The call shows and the customer drops below the others",
            // a server round trip that rebuilds worklist rows: slow on a busy CI machine
            timeout: 30000,
            trigger:
                ".o_list_view .o_data_row:last:contains(Tour Silent):contains(Called today: No Answer)",
        },
        ...logCall("Tour Promiser", "Promised to Pay"),
        {
            content: "The promise form is titled after the customer",
            // a server round trip that rebuilds worklist rows: slow on a busy CI machine
            timeout: 30000,
            trigger: ".modal .modal-title:contains(Promise to Pay: Tour Promiser)",
        },
        {
            content: "It lists the overdue invoices and what they owe",
            trigger: ".modal div[name=move_ids] .o_data_row:eq(1)",
            run() {
                const amount = document.querySelector(".modal div[name=amount] input");
                if (amount.value !== "3,000.00") {
                    throw new Error(`Promised amount prefilled as "${amount.value}"`);
                }
            },
        },
        ...editDate("Promised for the 10th", "04/10/2026", "Apr 10"),
        {
            content: "Save the promise (and the call with it)",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "Promised invoices wait: the customer leaves the worklist",
            // a server round trip that rebuilds worklist rows: slow on a busy CI machine
            timeout: 30000,
            trigger: ".o_list_view:not(:has(.modal)):not(:has(.o_data_row:contains(Tour Promiser)))",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour Other)",
        },
    ],
});

registry.category("web_tour.tours").add("account_collections_overview", {
    steps: () => [
        ...openMenu("menu_account_collections_daily", "menu_account_collections"),
        {
            content: "The page is titled as its menu",
            trigger: ".o_breadcrumb:contains(Overdue Customers)",
        },
        {
            content: "The Payment Plan button is in sight without scrolling sideways",
            trigger: ".o_data_row:contains(Tour Silent) button[name=action_create_plan]",
            run() {
                const button = document.querySelector(
                    ".o_data_row button[name=action_create_plan]"
                );
                const right = button.getBoundingClientRect().right;
                if (right > window.innerWidth) {
                    throw new Error(`Payment Plan button at ${right}px of ${window.innerWidth}`);
                }
            },
        },
    ],
});

registry.category("web_tour.tours").add("account_collections_aging", {
    steps: () => [
        ...openMenu("menu_account_collections_reporting", "menu_account_collection_aging_report"),
        ...editDate("As of the end of February", "02/28/2026", "Feb 28"),
        {
            content: "The report can be exported to XLSX",
            trigger: ".modal button[name=action_export_xlsx]:contains(XLSX)",
        },
        {
            content: "View it on screen",
            trigger: ".modal button[name=action_view]",
            run: "click",
        },
        {
            content: "The customer owing at the end of February is listed",
            // a server round trip that rebuilds worklist rows: slow on a busy CI machine
            timeout: 30000,
            trigger: ".o_list_view .o_data_row:contains(Tour Silent)",
        },
        {
            content: "The invoice dated later is not",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour Later)))",
        },
    ],
});
