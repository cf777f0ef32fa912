"""19.0.1.3.0: a company that ran dunning before this version has started
dunning: its next run climbs level by level, it is no catch-up."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """UPDATE res_company company SET collection_dunning_started = TRUE
            WHERE EXISTS (SELECT 1 FROM account_collection_run run
                           WHERE run.company_id = company.id AND run.state = 'done')"""
    )
