#!/usr/bin/env python3
"""Benchmark of the ``account_collections`` dunning run on a synthetic ledger.

Usage::

    python3 bench/collections_bench.py -c ODOO_CONF -d bench_NAME \\
        [--customers 20000] [--lines 1000000] [--keep] [--oca] [--pdf 100]

What it does, in a scratch database whose name must start with ``bench_``:

1. If the database does not exist, it is created as a copy of ``--template``
   (default ``base_acc``) and ``account_collections`` is updated in it. It is
   dropped at the end unless ``--keep`` is given; a database that existed
   before is never dropped.
2. A synthetic ledger is written with a handful of ``INSERT ... SELECT
   generate_series`` statements (no ORM): N customers, L posted customer
   invoices each with one open receivable line (days overdue spread from -30
   to 400 around the as-of date) and one income line, plus a credit note or an
   unapplied payment for about 3% of the customers, so netting is exercised.
   The addon's mail templates are loaded again from its data files (they are
   ``noupdate``; ``--db-templates`` keeps the database's).
3. Phases, each timed (wall time, items per second, SQL queries counted with
   the cursor's ``sql_log_count``):

   a. evaluation: candidate customers, then ``_evaluate`` by batches of
      ``BATCH_SIZE``, then one raw execution of the customer summary SQL;
   b. the full run without PDFs (``_execute(commit=True)``, i.e. committing
      per batch like the scheduled run), twice on the same day: the second
      run must create no communication;
   c. PDF letters, one ``_render_qweb_pdf`` call per letter, with an Odoo HTTP
      server started for the duration so wkhtmltopdf can load the CSS;
   d. with ``--oca``: OCA ``account_credit_control`` is installed and its
      credit line generation timed on the same ledger (or on a subset of the
      customers, ``--oca-customers``, extrapolated linearly).

4. A summary table, with the targets.

This is a tool, not a test: it writes raw SQL into the database and commits.
"""

import argparse
import contextlib
import cProfile
import datetime
import hashlib
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psycopg2
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.module import get_manifest
from odoo.modules.registry import Registry
from odoo.sql_db import close_db, db_connect
from odoo.tools import SQL, config, split_every
from odoo.tools.convert import convert_file

#: Targets printed under the summary table.
TARGET_EVALUATION_SECONDS = 5.0  # evaluation of 1,000,000 lines
TARGET_CUSTOMERS_PER_SECOND = 1000.0  # execution without PDFs
TARGET_OCA_RATIO = 20.0  # OCA time / our time
TARGET_LETTERS_PER_SECOND = 10.0  # letters rendered by the letter job

#: Every this-many-th customer gets a credit (credit note or unapplied payment).
CREDIT_EVERY = 33
#: Amount of each credit note / unapplied payment.
CREDIT_AMOUNT = 1500.0
#: Days overdue of the synthetic invoices range over [DAYS_MIN, DAYS_MAX].
DAYS_MIN, DAYS_MAX = -30, 400
#: Port of the Odoo server started for the PDF phase.
PDF_HTTP_PORT = 8070


# ----------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------


class Phase:
    """One timed phase: wall time, items processed, SQL queries."""

    def __init__(self, name, unit, batches=None, note=""):
        self.name = name
        self.unit = unit
        self.items = 0
        self.seconds = 0.0
        self.queries = 0
        self.batches = batches
        self.note = note

    @property
    def rate(self):
        return self.items / self.seconds if self.seconds else 0.0

    @property
    def rate_text(self):
        return f"{self.rate:.2f}" if self.rate < 10 else f"{self.rate:,.0f}"

    @property
    def queries_per_batch(self):
        return self.queries / self.batches if self.batches else None

    def line(self):
        qpb = f", {self.queries_per_batch:.1f} queries/batch" if self.batches else ""
        return (
            f"  -> {self.name}: {self.seconds:.2f} s, {self.items} {self.unit} "
            f"({self.rate_text} {self.unit}/s), {self.queries} queries{qpb}"
        )


@contextlib.contextmanager
def measure(cr, phase):
    """Time the block and count the queries it runs on ``cr`` into ``phase``."""
    queries = cr.sql_log_count
    start = time.perf_counter()
    try:
        yield phase
    finally:
        phase.seconds += time.perf_counter() - start
        phase.queries += cr.sql_log_count - queries


def say(message=""):
    print(message, flush=True)


@contextlib.contextmanager
def profiler(directory, name):
    """cProfile the block into ``directory/name.prof`` if ``directory`` is set.

    Profiling slows Python down: the timings of a profiled phase are not
    comparable with an unprofiled run.
    """
    if not directory:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, f"{name}.prof")
        profile.dump_stats(path)
        stream = io.StringIO()
        pstats.Stats(profile, stream=stream).sort_stats("tottime").print_stats(15)
        say(f"     profile written to {path}; top functions by own time:")
        say("\n".join("       " + line for line in stream.getvalue().splitlines()[-20:]))


# ----------------------------------------------------------------------
# Database handling
# ----------------------------------------------------------------------


def odoo_cmd(conf, *args, subcommand=()):
    """Run ``python3 -m odoo [subcommand] -c conf args``; exit with its output on failure."""
    command = [sys.executable, "-m", "odoo", *subcommand, "-c", conf, *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def database_exists(name):
    with db_connect("postgres").cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return bool(cr.fetchone())


def prepare_database(args):
    """Create the scratch database if needed; return True if this run created it."""
    if database_exists(args.database):
        say(f"Using the existing database {args.database}.")
        if args.update:
            say("Updating account_collections ...")
            odoo_cmd(
                args.config,
                "-d",
                args.database,
                "-u",
                "account_collections",
                "--stop-after-init",
                "--no-http",
            )
        return False
    say(f"Creating {args.database} as a copy of {args.template} ...")
    odoo_cmd(args.config, "duplicate", args.template, args.database, subcommand=["db"])
    say("Updating account_collections in it ...")
    odoo_cmd(
        args.config,
        "-d",
        args.database,
        "-u",
        "account_collections",
        "--stop-after-init",
        "--no-http",
    )
    return True


def drop_database(args):
    Registry.delete(args.database)
    close_db(args.database)
    odoo_cmd(args.config, "drop", args.database, subcommand=["db"])
    say(f"Dropped {args.database}.")


@contextlib.contextmanager
def environment(dbname, registry=None):
    """A superuser environment on a new cursor, as the scheduled run has."""
    registry = registry or Registry(dbname)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


# ----------------------------------------------------------------------
# Synthetic ledger
# ----------------------------------------------------------------------


LEDGER_TABLES = ("res_partner", "account_move", "account_move_line")


@contextlib.contextmanager
def bulk_load(cr, tables=LEDGER_TABLES):
    """Load ``tables`` fast: no foreign key triggers, indexes rebuilt afterwards.

    Inside the caller's transaction: the indexes that back no constraint are
    dropped, then recreated from their definitions once the block is done
    (much faster than maintaining ~20 indexes row by row). Foreign key
    triggers are skipped with ``session_replication_role = replica`` when the
    database user is allowed to (a superuser); the ledger is consistent by
    construction.
    """
    try:
        with cr.savepoint(flush=False):
            cr.execute("SET LOCAL session_replication_role = replica")
    except psycopg2.Error:
        say("     (not a superuser: foreign keys are checked row by row, slower)")
    cr.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cr.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
             FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [list(tables)],
    )
    indexes = cr.fetchall()
    for name, _definition in indexes:
        cr.execute(f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        cr.execute(definition)
    cr.execute("SET LOCAL session_replication_role = DEFAULT")


def reserve_ids(cr, table, count):
    """Reserve ``count`` consecutive ids of ``table``; return the first one."""
    sequence = f"{table}_id_seq"
    cr.execute(
        SQL(
            "SELECT setval(%(seq)s, nextval(%(seq)s) + %(n)s - 1) - %(n)s + 1",
            seq=sequence,
            n=count,
        )
    )
    return cr.fetchone()[0]


def check_not_null_columns(cr, table, filled):
    """Fail clearly if ``table`` has a NOT NULL column without default we don't fill."""
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""",
        [table],
    )
    missing = sorted({name for (name,) in cr.fetchall()} - set(filled))
    if missing:
        sys.exit(
            f"{table} has NOT NULL columns the ledger builder does not fill: {missing}; "
            "update build_ledger() in bench/collections_bench.py"
        )


def insert(cr, table, columns, select, params):
    """``INSERT INTO table (columns) <select>`` after checking NOT NULL columns."""
    check_not_null_columns(cr, table, columns)
    cr.execute(f"INSERT INTO {table} ({', '.join(columns)}) {select}", params)
    return cr.rowcount


def ledger_accounts(env, company):
    """Journals and accounts the synthetic ledger books on."""
    journals = env["account.journal"].with_company(company)
    sale = journals.search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1, order="id"
    )
    bank = journals.search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1, order="id"
    )
    receivable = env["res.partner"].with_company(company).new({}).property_account_receivable_id
    if not (sale.default_account_id and bank.default_account_id and receivable):
        sys.exit("the company needs a chart of accounts: sale and bank journals, receivable")
    return {
        "company": company.id,
        "currency": company.currency_id.id,
        "country": company.country_id.id or None,
        "sale_journal": sale.id,
        "bank_journal": bank.id,
        "receivable": receivable.id,
        "income": sale.default_account_id.id,
        "liquidity": bank.default_account_id.id,
    }


def build_ledger(env, company, customers, lines, as_of):
    """Write the synthetic ledger with bulk SQL; return its figures."""
    cr = env.cr
    cr.execute("SELECT 1 FROM account_move WHERE name = 'BENCH/0000001' LIMIT 1")
    if cr.fetchone():
        sys.exit("this database already holds a synthetic ledger: use a new bench_ database")
    params = ledger_accounts(env, company)
    credits = len(range(0, customers, CREDIT_EVERY))
    params.update(
        n=customers,
        l=lines,
        c=credits,
        as_of=as_of,
        uid=SUPERUSER_ID,
        days_min=DAYS_MIN,
        days_span=DAYS_MAX - DAYS_MIN + 1,
        every=CREDIT_EVERY,
        credit=CREDIT_AMOUNT,
        p0=reserve_ids(cr, "res_partner", customers),
        m0=reserve_ids(cr, "account_move", lines + credits),
        l0=reserve_ids(cr, "account_move_line", 2 * (lines + credits)),
    )
    with bulk_load(cr):
        insert_ledger(cr, params)
    return {"customers": customers, "invoices": lines, "credits": credits, "params": params}


def insert_ledger(cr, params):
    """The INSERT ... SELECT statements of :func:`build_ledger`."""
    stamp = ["create_uid", "write_uid", "create_date", "write_date"]
    stamp_values = "%(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'"

    # Customers: companies, their own commercial partner, with an email and address.
    insert(
        cr,
        "res_partner",
        [
            "id",
            "name",
            "complete_name",
            "commercial_company_name",
            "type",
            "active",
            "is_company",
            "commercial_partner_id",
            "email",
            "email_normalized",
            "lang",
            "street",
            "city",
            "zip",
            "country_id",
            "customer_rank",
            "supplier_rank",
            "autopost_bills",
            "partner_share",
            "color",
            "message_bounce",
            *stamp,
        ],
        f"""SELECT %(p0)s + k, nm, nm, nm, 'contact', TRUE,
                   TRUE, %(p0)s + k, em, em, 'en_US',
                   k || ' Bench Street', 'Benchville', '10001', %(country)s, 1, 0,
                   'ask', TRUE, 0, 0, {stamp_values}
              FROM generate_series(0, %(n)s - 1) k,
                   LATERAL (SELECT 'Bench Customer ' || lpad((k + 1)::text, 6, '0') AS nm,
                                   'bench.customer.' || lpad((k + 1)::text, 6, '0')
                                   || '@example.com' AS em) x""",
        params,
    )

    # Invoices: invoice i belongs to customer i % N, is DAYS_MIN..DAYS_MAX days
    # overdue (pseudo-random spread), and amounts to 20.00 .. 1,000.00.
    invoice_cte = """WITH inv AS (
            SELECT i, %(m0)s + i AS move_id, %(p0)s + (i %% %(n)s) AS partner_id,
                   'BENCH/' || lpad((i + 1)::text, 7, '0') AS name,
                   (%(as_of)s::date - (%(days_min)s + (i * 7919) %% %(days_span)s)::int) AS due,
                   round(20 + ((i * 104729) %% 98001) / 100.0, 2) AS amount
              FROM generate_series(0::bigint, %(l)s - 1) i)"""
    move_columns = [
        "id",
        "name",
        "journal_id",
        "company_id",
        "currency_id",
        "partner_id",
        "commercial_partner_id",
        "invoice_partner_display_name",
        "state",
        "move_type",
        "auto_post",
        "date",
        "invoice_date",
        "invoice_date_due",
        "sequence_prefix",
        "sequence_number",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_residual",
        "amount_untaxed_signed",
        "amount_untaxed_in_currency_signed",
        "amount_tax_signed",
        "amount_total_signed",
        "amount_total_in_currency_signed",
        "amount_residual_signed",
        "payment_state",
        "invoice_currency_rate",
        "posted_before",
        "checked",
        "always_tax_exigible",
        "made_sequence_gap",
        "is_move_sent",
        *stamp,
    ]
    insert(
        cr,
        "account_move",
        move_columns,
        f"""{invoice_cte}
            SELECT inv.move_id, inv.name, %(sale_journal)s, %(company)s, %(currency)s,
                   inv.partner_id, inv.partner_id, p.name, 'posted', 'out_invoice',
                   'no', inv.due - 30, inv.due - 30, inv.due, 'BENCH/',
                   inv.i + 1, inv.amount, 0, inv.amount, inv.amount,
                   inv.amount, inv.amount, 0,
                   inv.amount, inv.amount, inv.amount,
                   'not_paid', 1, TRUE, TRUE,
                   FALSE, FALSE, TRUE, {stamp_values}
              FROM inv JOIN res_partner p ON p.id = inv.partner_id""",
        params,
    )
    line_columns = [
        "id",
        "move_id",
        "move_name",
        "sequence",
        "name",
        "journal_id",
        "company_id",
        "company_currency_id",
        "currency_id",
        "account_id",
        "partner_id",
        "display_type",
        "parent_state",
        "date",
        "invoice_date",
        "date_maturity",
        "debit",
        "credit",
        "balance",
        "amount_currency",
        "amount_residual",
        "amount_residual_currency",
        "reconciled",
        "quantity",
        "price_unit",
        "price_subtotal",
        "price_total",
        "discount",
        "tax_base_amount",
        *stamp,
    ]
    # One open receivable line per invoice (its only due line) ...
    insert(
        cr,
        "account_move_line",
        line_columns,
        f"""{invoice_cte}
            SELECT %(l0)s + 2 * inv.i, inv.move_id, inv.name, 10, inv.name, %(sale_journal)s,
                   %(company)s, %(currency)s, %(currency)s, %(receivable)s, inv.partner_id,
                   'payment_term', 'posted', inv.due - 30, inv.due - 30, inv.due,
                   inv.amount, 0, inv.amount,
                   inv.amount, inv.amount, inv.amount, FALSE,
                   0, 0, 0, 0, 0, 0, {stamp_values}
              FROM inv""",
        params,
    )
    # ... and its income line.
    insert(
        cr,
        "account_move_line",
        line_columns,
        f"""{invoice_cte}
            SELECT %(l0)s + 2 * inv.i + 1, inv.move_id, inv.name, 1, 'Bench service',
                   %(sale_journal)s, %(company)s, %(currency)s, %(currency)s, %(income)s,
                   inv.partner_id, 'product', 'posted', inv.due - 30, inv.due - 30, NULL,
                   0, inv.amount, -inv.amount,
                   -inv.amount, 0, 0, FALSE,
                   1, inv.amount, inv.amount, inv.amount, 0, 0, {stamp_values}
              FROM inv""",
        params,
    )

    # Credits: every CREDIT_EVERY-th customer has a credit note (even j) or an
    # unapplied customer payment (odd j), dated 10 days before the as-of date.
    credit_cte = """WITH cre AS (
            SELECT j, %(m0)s + %(l)s + j AS move_id, %(p0)s + j * %(every)s AS partner_id,
                   j %% 2 = 0 AS refund,
                   CASE WHEN j %% 2 = 0 THEN 'RBENCH/' ELSE 'PBENCH/' END
                       || lpad((j + 1)::text, 7, '0') AS name,
                   %(as_of)s::date - 10 AS day, %(credit)s::numeric AS amount
              FROM generate_series(0::bigint, %(c)s - 1) j)"""
    insert(
        cr,
        "account_move",
        move_columns,
        f"""{credit_cte}
            SELECT cre.move_id, cre.name,
                   CASE WHEN refund THEN %(sale_journal)s ELSE %(bank_journal)s END,
                   %(company)s, %(currency)s, cre.partner_id, cre.partner_id, p.name, 'posted',
                   CASE WHEN refund THEN 'out_refund' ELSE 'entry' END,
                   'no', cre.day, CASE WHEN refund THEN cre.day END,
                   CASE WHEN refund THEN cre.day END,
                   CASE WHEN refund THEN 'RBENCH/' ELSE 'PBENCH/' END,
                   cre.j + 1, cre.amount, 0, cre.amount,
                   CASE WHEN refund THEN cre.amount ELSE 0 END,
                   -cre.amount, -cre.amount, 0,
                   -cre.amount, -cre.amount,
                   CASE WHEN refund THEN -cre.amount ELSE 0 END,
                   'not_paid', 1, TRUE, TRUE,
                   FALSE, FALSE, FALSE, {stamp_values}
              FROM cre JOIN res_partner p ON p.id = cre.partner_id""",
        params,
    )
    insert(
        cr,
        "account_move_line",
        line_columns,
        f"""{credit_cte}
            SELECT %(l0)s + 2 * %(l)s + 2 * cre.j, cre.move_id, cre.name, 10, cre.name,
                   CASE WHEN refund THEN %(sale_journal)s ELSE %(bank_journal)s END,
                   %(company)s, %(currency)s, %(currency)s, %(receivable)s, cre.partner_id,
                   CASE WHEN refund THEN 'payment_term' ELSE 'product' END,
                   'posted', cre.day, CASE WHEN refund THEN cre.day END, cre.day,
                   0, cre.amount, -cre.amount,
                   -cre.amount, -cre.amount, -cre.amount, FALSE,
                   0, 0, 0, 0, 0, 0, {stamp_values}
              FROM cre
            UNION ALL
            SELECT %(l0)s + 2 * %(l)s + 2 * cre.j + 1, cre.move_id, cre.name, 1, cre.name,
                   CASE WHEN refund THEN %(sale_journal)s ELSE %(bank_journal)s END,
                   %(company)s, %(currency)s, %(currency)s,
                   CASE WHEN refund THEN %(income)s ELSE %(liquidity)s END, cre.partner_id,
                   'product', 'posted', cre.day, CASE WHEN refund THEN cre.day END, NULL,
                   cre.amount, 0, cre.amount,
                   cre.amount, 0, 0, FALSE,
                   1, cre.amount, cre.amount, cre.amount, 0, 0, {stamp_values}
              FROM cre""",
        params,
    )


def analyze(cr):
    for table in LEDGER_TABLES:
        cr.execute(f"ANALYZE {table}")


# ----------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------


def bench_mail_template(env):
    """A reminder template: the addon's first one, or a minimal one if it has none."""
    template = env.ref("account_collections.mail_template_reminder_1", raise_if_not_found=False)
    if template:
        return template
    return env["mail.template"].create(
        {
            "name": "Bench: payment reminder",
            "model_id": env["ir.model"]._get_id("account.collection.communication"),
            "subject": "Payment reminder: {{ object.company_id.name }}",
            "email_from": "{{ object.company_id.email_formatted or user.email_formatted }}",
            "body_html": "<p>Dear <t t-out='object.partner_id.name'/>,</p>"
            "<p t-foreach='object.line_ids' t-as='line'>"
            "<t t-out='line.move_id.name'/>: <t t-out='line.amount_residual'/></p>",
            "auto_delete": False,
        }
    )


def reload_mail_templates(env):
    """Load the addon's mail template data again, over the database's copies.

    The templates are ``noupdate`` data: a database copied from an older
    install keeps its old templates through ``-u``. Loading the files in
    ``init`` mode makes the run use the templates the addon ships today.
    Returns the files loaded.
    """
    manifest = get_manifest("account_collections")
    files = [name for name in manifest.get("data", ()) if "mail_template" in name]
    for name in files:
        convert_file(env, "account_collections", name, {}, mode="init")
    return files


def configure_policy(env, company):
    """The company's default dunning policy, set to queue emails and render no PDF."""
    policy = env["account.collection.policy"]._get_default_policy(company)
    if not policy:
        # The addon's standard policy data is not installed: build its equivalent.
        template = bench_mail_template(env)
        policy = env["account.collection.policy"].create(
            {
                "name": "Bench standard dunning",
                "company_id": company.id,
                "is_default": True,
                "level_ids": [
                    Command.create(
                        {
                            "name": name,
                            "days": days,
                            "min_amount": min_amount,
                            "min_days_since_previous": wait,
                            "mail_template_id": template.id,
                        }
                    )
                    for name, days, min_amount, wait in (
                        ("Friendly reminder", 7, 0, 0),
                        ("Second reminder", 21, 0, 14),
                        ("Final demand", 45, 50, 14),
                        ("Notice before legal action", 75, 100, 21),
                    )
                ],
            }
        )
    for level in policy.level_ids:
        level.write(
            {
                "send_email": True,
                "send_letter": False,
                "email_attach_letter": False,
                "mail_template_id": (level.mail_template_id or bench_mail_template(env)).id,
            }
        )
    return policy


# ----------------------------------------------------------------------
# Phase a: evaluation
# ----------------------------------------------------------------------


def batch_size():
    from odoo.addons.account_collections.models import account_collection_run

    return account_collection_run.BATCH_SIZE


def phase_evaluation(env, company, as_of, ledger_lines, profile_dir=None):
    """Candidates, ``_evaluate`` over all of them, and the raw summary SQL."""
    cr = env.cr
    size = batch_size()
    run = env["account.collection.run"].create(
        {"company_id": company.id, "date": as_of, "trigger": "manual"}
    )
    run = run.with_company(company).with_context(allowed_company_ids=company.ids)
    cr.commit()
    env.invalidate_all()
    candidates_phase = Phase("a1 one-pass evaluation", "lines", batches=1)
    with measure(cr, candidates_phase):
        run._prepare_evaluation()
    cr.execute(
        "SELECT partner_id FROM account_collection_run_customer WHERE run_id = %s"
        " ORDER BY partner_id",
        [run.id],
    )
    candidates = [partner_id for (partner_id,) in cr.fetchall()]
    candidates_phase.items = ledger_lines
    candidates_phase.note = f"{len(candidates)} candidate customers"
    say(candidates_phase.line())

    batches = list(split_every(size, candidates))
    evaluate_phase = Phase("a2 _evaluate", "lines", batches=len(batches))
    reminded = 0
    per_batch = []
    with profiler(profile_dir, "evaluate"), measure(cr, evaluate_phase):
        for batch in batches:
            start = time.perf_counter()
            reminded += len(run._evaluate(list(batch)))
            per_batch.append(time.perf_counter() - start)
    evaluate_phase.items = ledger_lines
    evaluate_phase.note = (
        f"{reminded} customers to remind; per batch of {size}: "
        f"median {statistics.median(per_batch or [0]):.3f} s, max {max(per_batch or [0]):.3f} s"
    )
    say(evaluate_phase.line())
    say(f"     {evaluate_phase.note}")

    total = Phase("a  evaluation total", "lines", batches=len(batches))
    total.seconds = candidates_phase.seconds + evaluate_phase.seconds
    total.queries = candidates_phase.queries + evaluate_phase.queries
    total.items = ledger_lines

    summary_phase = Phase("a3 summary SQL (raw)", "lines", batches=1)
    open_items = env["account.collection.open.item"]
    query = open_items._customer_summary_sql({company.id: as_of})
    with measure(cr, summary_phase):
        cr.execute(query)
        rows = cr.fetchall()
    summary_phase.items = ledger_lines
    summary_phase.note = f"{len(rows)} customer rows"
    say(summary_phase.line())
    env["account.collection.run.customer"]._drop(run)
    run.unlink()
    cr.commit()
    return [candidates_phase, evaluate_phase, total, summary_phase], candidates


# ----------------------------------------------------------------------
# Phase e: aging report as of a date
# ----------------------------------------------------------------------


def phase_aging(env, company, as_of, ledger_lines):
    """The aging report: its lines (one INSERT ... SELECT), then its totals."""
    cr = env.cr
    report = (
        env["account.collection.aging.report"]
        .with_company(company)
        .with_context(allowed_company_ids=company.ids)
        .create({"date": as_of, "company_ids": [(6, 0, company.ids)]})
    )
    cr.commit()
    env.invalidate_all()
    screen_phase = Phase("e0 aging on screen", "lines", batches=1)
    with measure(cr, screen_phase):
        report._compute_customers()
    screen_phase.items = ledger_lines
    say(screen_phase.line())
    lines_phase = Phase("e1 aging lines", "lines", batches=1)
    with measure(cr, lines_phase):
        report._compute_lines()
    lines_phase.items = ledger_lines
    totals_phase = Phase("e2 aging totals", "lines", batches=1)
    with measure(cr, totals_phase):
        values = report._get_report_values()
    totals_phase.items = ledger_lines
    totals_phase.note = f"{len(values['customers'])} customers, total {values['total']:,.2f}"
    say(lines_phase.line())
    say(totals_phase.line())
    say(f"     {totals_phase.note}")
    report.unlink()
    cr.commit()
    return [screen_phase, lines_phase, totals_phase]


# ----------------------------------------------------------------------
# Phase f: limitation dates
# ----------------------------------------------------------------------


def phase_limitation(env, company, as_of, ledger_lines):
    """The daily limitation check's one query: the invoices whose limitation
    date is near or passed. A one-year period with 90 days' warning makes the
    synthetic ledger's oldest invoices (up to 400 days overdue) candidates."""
    cr = env.cr
    saved = (company.collection_limitation_years, company.collection_limitation_warning_days)
    company.write({"collection_limitation_years": 1, "collection_limitation_warning_days": 90})
    env.flush_all()
    claims = env["account.collection.claim"].with_company(company)
    phase = Phase("f1 limitation candidates", "lines", batches=1)
    # measure outside the frozen clock: freezegun stops perf_counter too
    with measure(cr, phase), freeze_time(as_of):
        candidates = claims._limitation_candidates(company)
    phase.items = ledger_lines
    phase.note = f"{len(candidates)} invoices near or past their limitation date"
    say(phase.line())
    say(f"     {phase.note}")
    company.write(
        {"collection_limitation_years": saved[0], "collection_limitation_warning_days": saved[1]}
    )
    cr.commit()
    return [phase]


# ----------------------------------------------------------------------
# Phase b: full run without PDFs
# ----------------------------------------------------------------------


#: Methods whose time and queries run #1 breaks down, per model (skipped if absent).
PROBED_METHODS = {
    "account.collection.run": ("_process_batch", "_evaluate"),
    "account.collection.communication": ("_create_reminders", "_deliver", "_queue_emails"),
}


@contextlib.contextmanager
def method_probe(env, methods=PROBED_METHODS):
    """Record ``[(seconds, queries, first argument length)]`` per probed method.

    The registry classes are patched for the duration of the block and
    restored afterwards.
    """
    cr = env.cr
    records = {}
    patched = []

    def probe(name, original):
        def probed(self, *args, **kwargs):
            queries = cr.sql_log_count
            start = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                size = len(args[0]) if args and hasattr(args[0], "__len__") else len(self)
                records[name].append(
                    (time.perf_counter() - start, cr.sql_log_count - queries, size)
                )

        return probed

    for model_name, names in methods.items():
        cls = type(env[model_name])
        for name in names:
            if not hasattr(cls, name):
                continue
            records[name] = []
            patched.append((cls, name, cls.__dict__.get(name)))
            setattr(cls, name, probe(name, getattr(cls, name)))
    try:
        yield records
    finally:
        for cls, name, own in reversed(patched):
            if own is None:
                delattr(cls, name)
            else:
                setattr(cls, name, own)


def describe_breakdown(records, total_seconds):
    """Lines describing where the time of a run went, per probed method."""
    lines = []
    for name, calls in records.items():
        if not calls or name == "_process_batch":
            continue
        seconds = sum(call[0] for call in calls)
        queries = sum(call[1] for call in calls)
        lines.append(
            f"{name}: {seconds:.2f} s ({100 * seconds / max(total_seconds, 1e-9):.0f}%), "
            f"{queries} queries, {len(calls)} calls"
        )
    batches = records.get("_process_batch") or []
    if batches:
        inner = sum(
            call[0]
            for name in ("_evaluate", "_create_reminders", "_deliver")
            for call in records.get(name, [])
        )
        rest = sum(call[0] for call in batches) - inner
        lines.append(
            f"rest of _process_batch (locks, savepoint flush): {rest:.2f} s "
            f"({100 * rest / max(total_seconds, 1e-9):.0f}%)"
        )
    return lines


def count_records(env, run=None):
    cr = env.cr
    cr.execute("SELECT count(*) FROM account_collection_communication")
    communications = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM mail_mail mail JOIN mail_message message"
        " ON message.id = mail.mail_message_id"
        " WHERE message.collection_communication_id IS NOT NULL"
    )
    mails = cr.fetchone()[0]
    states = {}
    if run:
        cr.execute(
            "SELECT state, count(*) FROM account_collection_communication"
            " WHERE run_id = %s GROUP BY state ORDER BY state",
            [run.id],
        )
        states = dict(cr.fetchall())
    return communications, mails, states


def phase_run(env, company, as_of, number, profile_dir=None):
    """One ``_execute`` of a new manual run, committing per batch."""
    cr = env.cr
    run = env["account.collection.run"].create(
        {"company_id": company.id, "date": as_of, "trigger": "manual"}
    )
    cr.commit()
    env.invalidate_all()
    phase = Phase(f"b{number} run #{number} _execute", "customers")
    with (
        profiler(profile_dir, f"run{number}"),
        method_probe(env) as probes,
        measure(cr, phase),
    ):
        run._execute(commit=True)
    records = probes.get("_process_batch") or []
    phase.items = run.customer_count
    phase.batches = len(records) or None
    communications, mails, states = count_records(env, run)
    if records:
        seconds = [r[0] for r in records]
        queries = [r[1] for r in records]
        phase.note = (
            f"per batch: {min(queries)}..{max(queries)} queries (median "
            f"{statistics.median(queries):.0f}), {min(seconds):.2f}..{max(seconds):.2f} s"
        )
    say(phase.line())
    if phase.note:
        say(f"     {phase.note}")
    for line in describe_breakdown(probes, phase.seconds):
        say(f"     {line}")
    say(
        f"     run #{number}: state {run.state}, {run.customer_count} customers evaluated, "
        f"communications of this run {states or 0}, errors {run.error_count}; "
        f"total communications {communications}, reminder emails queued {mails}"
    )
    return phase, run, communications


# ----------------------------------------------------------------------
# Phase c: PDF letters
# ----------------------------------------------------------------------


@contextlib.contextmanager
def http_server(args):
    """An Odoo HTTP server on 127.0.0.1:PDF_HTTP_PORT for wkhtmltopdf's assets."""
    command = [
        sys.executable,
        "-m",
        "odoo",
        "-c",
        args.config,
        "-d",
        args.database,
        "--http-interface",
        "127.0.0.1",
        "--http-port",
        str(PDF_HTTP_PORT),
        "--max-cron-threads",
        "0",
        "--log-level",
        "warn",
    ]
    log = open(os.path.join(args.workdir, "pdf_server.log"), "w")  # noqa: SIM115
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{PDF_HTTP_PORT}"
    try:
        wait_for_http(process, url, log.name, timeout=120)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def phase_pdf(args, env, run):
    """Render ``--pdf`` letters the way the letter job does: ``LETTER_CHUNK``
    letters per wkhtmltopdf call, split afterwards (rolled back at the end)."""
    from odoo.addons.account_collections.models.account_collection_communication import (
        LETTER_CHUNK,
    )

    xmlid = "account_collections.action_report_collection_letter"
    report = env.ref(xmlid, raise_if_not_found=False)
    if not report:
        say(f"  -> c  PDF letters: SKIPPED, the report {xmlid} does not exist")
        return None
    if not shutil.which("wkhtmltopdf"):
        say("  -> c  PDF letters: SKIPPED, wkhtmltopdf is not installed")
        return None
    communications = env["account.collection.communication"].search(
        [("run_id", "=", run.id)], limit=args.pdf, order="id"
    )
    if not communications:
        say("  -> c  PDF letters: SKIPPED, the run created no communication")
        return None
    params = env["ir.config_parameter"].sudo()
    previous = params.get_param("report.url")
    chunks = list(split_every(LETTER_CHUNK, communications.ids, communications.browse))
    phase = Phase("c  PDF letters", "letters", batches=len(chunks))
    with http_server(args) as url:
        params.set_param("report.url", url)
        env.cr.commit()
        sizes = []
        errors = {}
        try:
            with measure(env.cr, phase):
                for chunk in chunks:
                    attachments, failed = chunk._render_letter_pdfs()
                    errors.update(failed)
                    sizes += [len(attachment.raw) for attachment in attachments]
                    if args.pdf_sample and attachments and len(sizes) == len(attachments):
                        with open(args.pdf_sample, "wb") as sample:
                            sample.write(attachments[0].raw)
        finally:
            env.cr.rollback()
            params.set_param("report.url", previous or False)
            env.cr.commit()
    phase.items = len(sizes)
    phase.note = (
        f"{phase.seconds / max(len(sizes), 1):.2f} s per letter, {LETTER_CHUNK} per call; "
        f"PDF sizes {min(sizes, default=0):,}..{max(sizes, default=0):,} bytes"
        + (f"; {len(errors)} FAILED" if errors else "")
    )
    say(phase.line())
    say(f"     {phase.note}")
    return phase


# ----------------------------------------------------------------------
# Phase p: the production path
# ----------------------------------------------------------------------

#: Port of the Odoo server of the production phase.
PRODUCTION_HTTP_PORT = 8071
#: Lines of the server log that say a worker was killed or its job cut short.
KILL_MARKERS = ("timeout after", "CPU time limit", "memory limit", "Killing", "killed")


def odoo_launcher(workdir):
    """A script that starts Odoo, for servers with workers.

    The prefork server starts its long-polling process as ``python3
    sys.argv[0] gevent ...``: under ``python3 -m odoo`` that is Odoo's
    ``__main__.py``, which cannot run as a script, and the server would spawn
    it again and again (a dozen Python starts a second). A real script avoids
    that, as ``odoo-bin`` does.
    """
    path = os.path.join(workdir, ".odoo-launcher.py")
    with open(path, "w") as file:
        file.write("from odoo.cli.command import main\n\nmain()\n")
    return path


def db_query(args, dbname, sql, params=()):
    """Rows of one query on a fresh connection (the server owns the data meanwhile)."""
    conn = db_connect(dbname).cursor()
    try:
        conn.execute(sql, params)
        rows = conn.fetchall() if conn.description else []
        conn.commit()
        return rows
    finally:
        conn.close()


def phase_production(args, dbname):
    """The day's dunning as production runs it: a real server with workers and
    Odoo's default limits, the scheduled action, the shipped policy, letters.

    Returns the phase and a dict of figures (also written to ``--json``).
    """
    dunning = "account_collections.ir_cron_collection_dunning"
    [(dunning_id,)] = db_query(
        args,
        dbname,
        "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
        dunning.split("."),
    )
    url = f"http://127.0.0.1:{args.http_port}"
    # the shipped policy as installed; letters need the server for their CSS;
    # the other scheduled actions wait for tomorrow so that what is timed is the run
    db_query(
        args,
        dbname,
        """INSERT INTO ir_config_parameter (key, value, create_uid, write_uid,
                                            create_date, write_date)
           VALUES ('report.url', %s, 1, 1, now(), now())
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""",
        [url],
    )
    if args.no_letters:
        db_query(
            args,
            dbname,
            "UPDATE account_collection_level SET send_letter = FALSE, email_attach_letter = FALSE",
        )
    db_query(
        args,
        dbname,
        "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' + interval '1 day' WHERE id != %s",
        [dunning_id],
    )
    db_query(
        args,
        dbname,
        "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' - interval '1 minute',"
        " active = TRUE WHERE id = %s",
        [dunning_id],
    )
    log_path = os.path.join(args.workdir, f"production_server-{dbname}.log")
    command = [
        sys.executable, odoo_launcher(args.workdir), "-c", args.config, "-d", dbname,
        "--db-filter", f"^{dbname}$", "--http-interface", "127.0.0.1",
        "--http-port", str(args.http_port), "--workers", "2",
        "--max-cron-threads", str(args.cron_threads), "--log-level", "info",
    ]  # fmt: skip
    say(f"     server: odoo {' '.join(command[2:])} (default limits), log {log_path}")
    phase = Phase("p  production: scheduled run with letters", "customers")
    figures = {}
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(process, url, log_path)
            start = time.perf_counter()
            db_query(args, "postgres", "SELECT pg_notify('cron_trigger', %s)", [dbname])
            run_done = letters_done = None
            deadline = start + args.production_timeout
            while time.perf_counter() < deadline:
                time.sleep(1)
                rows = db_query(
                    args,
                    dbname,
                    """SELECT run.id, run.state,
                              (SELECT COUNT(*) FROM account_collection_communication c
                                WHERE c.run_id = run.id AND c.letter_state = 'pending')
                         FROM account_collection_run run
                        WHERE run.trigger = 'cron' ORDER BY run.id DESC LIMIT 1""",
                )
                if not rows:
                    continue
                _run_id, state, pending = rows[0]
                now = time.perf_counter()
                if state == "done" and run_done is None:
                    run_done = now - start
                if run_done is not None and not pending:
                    letters_done = now - start
                    break
            if process.poll() is not None:
                say("     the server stopped during the phase")
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    with open(log_path) as log:
        lines = log.readlines()
    killed = [line for line in lines if any(marker in line for marker in KILL_MARKERS)]
    pickups = sum(1 for line in lines if "daily dunning run" in line and "starting" in line)
    letter_pickups = sum(1 for line in lines if "render letters" in line and "starting" in line)
    # time the letter job spent, from Odoo's "... (duration 12.3s)" lines
    letter_job_seconds = sum(
        float(line.rsplit("duration ", 1)[1].split("s")[0])
        for line in lines
        if "render letters" in line and "duration " in line
    )
    [(run_id, state, customers)] = db_query(
        args,
        dbname,
        """SELECT id, state, customer_count FROM account_collection_run
            WHERE trigger = 'cron' ORDER BY id DESC LIMIT 1""",
    )
    [(reminders, reminded, sent, to_review, rendered, failed, pending, attached)] = db_query(
        args,
        dbname,
        """SELECT COUNT(*), COUNT(DISTINCT partner_id),
                  COUNT(*) FILTER (WHERE state = 'sent'),
                  COUNT(*) FILTER (WHERE state = 'to_review'),
                  COUNT(*) FILTER (WHERE letter_state = 'rendered'),
                  COUNT(*) FILTER (WHERE letter_state = 'failed'),
                  COUNT(*) FILTER (WHERE letter_state = 'pending'),
                  COUNT(*) FILTER (WHERE mail_pending)
             FROM account_collection_communication WHERE run_id = %s""",
        [run_id],
    )
    [(mails, mails_with_letter)] = db_query(
        args,
        dbname,
        """SELECT COUNT(DISTINCT mail.id), COUNT(DISTINCT rel.message_id)
             FROM account_collection_communication c
             JOIN mail_message msg ON msg.collection_communication_id = c.id
             JOIN mail_mail mail ON mail.mail_message_id = msg.id
             LEFT JOIN message_attachment_rel rel ON rel.message_id = msg.id
            WHERE c.run_id = %s""",
        [run_id],
    )
    [(pdf_count, pdf_avg, pdf_max)] = db_query(
        args,
        dbname,
        """SELECT COUNT(*), COALESCE(AVG(file_size), 0), COALESCE(MAX(file_size), 0)
             FROM ir_attachment
            WHERE res_model = 'account.collection.communication'
              AND res_id IN (SELECT id FROM account_collection_communication WHERE run_id = %s)""",
        [run_id],
    )
    phase.seconds = letters_done or run_done or args.production_timeout
    phase.items = customers or 0
    phase.batches = pickups or None
    figures = {
        "run_state": state,
        "customers_evaluated": customers,
        "reminders": reminders,
        "customers_reminded": reminded,
        "duplicates": reminders - reminded,
        "sent": sent,
        "to_review": to_review,
        "letters_rendered": rendered,
        "letters_failed": failed,
        "letters_pending": pending,
        "emails_waiting_for_letter": attached,
        "emails_queued": mails,
        "emails_with_letter": mails_with_letter,
        "pdf_count": pdf_count,
        "pdf_avg_bytes": int(pdf_avg),
        "pdf_max_bytes": int(pdf_max),
        "seconds_until_run_done": run_done,
        "seconds_until_letters_done": letters_done,
        "customers_per_second": (customers / run_done) if run_done else None,
        "letters_per_second": (rendered / letters_done) if letters_done else None,
        "letter_job_seconds": letter_job_seconds,
        "letters_per_second_of_letter_job": (rendered / letter_job_seconds)
        if letter_job_seconds
        else None,
        "dunning_pickups": pickups,
        "letter_pickups": letter_pickups,
        "killed": len(killed),
        "killed_lines": [line.strip() for line in killed[:10]],
    }
    phase.note = (
        f"run {state} after {run_done or 0:.1f} s, letters done after {letters_done or 0:.1f} s; "
        f"{reminders} reminders to {reminded} customers ({reminders - reminded} duplicates), "
        f"{to_review} awaiting review; letters {rendered} rendered, {failed} failed, "
        f"{pending} pending, PDF avg {int(pdf_avg):,} B max {int(pdf_max):,} B; "
        f"{pickups} dunning pickups, {letter_pickups} letter pickups; "
        f"KILLED {len(killed)}"
    )
    say(phase.line())
    say(f"     {phase.note}")
    if figures["customers_per_second"]:
        say(
            f"     {figures['customers_per_second']:,.0f} customers/s until the run is done, "
            f"{(figures['letters_per_second'] or 0):,.1f} letters/s until the last letter, "
            f"{(figures['letters_per_second_of_letter_job'] or 0):,.1f} letters/s of the "
            f"letter job's own time ({letter_job_seconds:.0f} s)"
        )
    for line in killed[:5]:
        say(f"     {line.strip()}")
    return phase, figures


def wait_for_http(process, url, log_path, timeout=180):
    """Wait until the server answers on ``url``."""
    deadline = time.time() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Odoo server stopped, see {log_path}")
        try:
            with urllib.request.urlopen(url + "/web/login", timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.time() > deadline:
            raise RuntimeError(f"the Odoo server did not answer, see {log_path}")
        time.sleep(1)


# ----------------------------------------------------------------------
# Phase d: OCA account_credit_control
# ----------------------------------------------------------------------

OCA_LEVELS = (  # (level, name, days): the same steps as the standard policy
    (1, "Friendly reminder", 7),
    (2, "Second reminder", 21),
    (3, "Final demand", 45),
    (4, "Notice before legal action", 75),
)


def install_oca(args):
    """Install account_credit_control in the scratch database; return the new registry."""
    try:
        import odoo.addons.account_credit_control  # noqa: F401
    except ImportError:
        sys.exit(
            "--oca: account_credit_control is not importable; install it with\n"
            "  pip install --no-deps odoo-addon-account-credit-control==19.0.1.0.0.13"
        )
    Registry.delete(args.database)
    close_db(args.database)
    say("Installing account_credit_control ...")
    odoo_cmd(
        args.config,
        "-d",
        args.database,
        "-i",
        "account_credit_control",
        "--stop-after-init",
        "--no-http",
    )
    return Registry.new(args.database)


def phase_oca(args, env, company, as_of, ledger, params):
    """Time OCA's credit line generation on all customers or on a subset."""
    cr = env.cr
    total_customers = ledger["customers"]
    subset = args.oca_customers if 0 < args.oca_customers < total_customers else 0
    template = env.ref("account_credit_control.email_template_credit_control_base")
    policy = env["credit.control.policy"].create(
        {
            "name": "Bench policy (same steps as ours)",
            "company_id": company.id,
            "account_ids": [Command.set([params["receivable"]])],
            "level_ids": [
                Command.create(
                    {
                        "name": name,
                        "level": level,
                        "computation_mode": "net_days",
                        "delay_days": days,
                        "channel": "email",
                        "email_template_id": template.id,
                        "custom_text": name,
                        "custom_mail_text": f"<p>{name}</p>",
                    }
                )
                for level, name, days in OCA_LEVELS
            ],
        }
    )
    if subset:
        # Only the first ``subset`` customers follow the policy (partner-level setting).
        cr.execute(
            "UPDATE res_partner SET credit_policy_id = %s WHERE id >= %s AND id < %s",
            [policy.id, params["p0"], params["p0"] + subset],
        )
        customers = subset
        cr.execute(
            """SELECT count(*) FROM account_move_line
                WHERE partner_id >= %s AND partner_id < %s AND account_id = %s
                  AND reconciled IS NOT TRUE""",
            [params["p0"], params["p0"] + subset, params["receivable"]],
        )
    else:
        company.credit_policy_id = policy
        customers = total_customers
        cr.execute(
            "SELECT count(*) FROM account_move_line WHERE account_id = %s"
            " AND reconciled IS NOT TRUE AND company_id = %s",
            [params["receivable"], company.id],
        )
    lines = cr.fetchone()[0]
    run = env["credit.control.run"].create(
        {
            "date": as_of,
            "company_id": company.id,
            "policy_ids": [Command.set(policy.ids)],
        }
    )
    cr.commit()
    env.invalidate_all()
    scope = f"{customers} of {total_customers} customers" if subset else "all customers"
    phase = Phase(f"d  OCA generate_credit_lines ({scope})", "customers", batches=None)
    with measure(cr, phase):
        run.with_company(company).generate_credit_lines()
    cr.commit()
    phase.items = customers
    created = len(run.line_ids)
    phase.note = f"{lines} open receivable lines in scope, {created} credit control lines created"
    say(phase.line())
    say(f"     {phase.note}")
    return phase, lines


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def print_table(phases):
    header = ("phase", "wall s", "items", "items/s", "queries", "queries/batch")
    rows = [
        (
            p.name,
            f"{p.seconds:.2f}",
            f"{p.items:,} {p.unit}",
            p.rate_text,
            f"{p.queries:,}",
            f"{p.queries_per_batch:.1f}" if p.queries_per_batch is not None else "-",
        )
        for p in phases
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = " | ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    say(fmt.format(*header))
    say("-+-".join("-" * w for w in widths))
    for row in rows:
        say(fmt.format(*row))


def verdict(ok):
    return "PASS" if ok else "FAIL"


def addon_fingerprint():
    """``commit + sha1 of the addon's files``: which code a result belongs to."""
    from odoo.addons import account_collections

    root = os.path.dirname(account_collections.__file__)
    digest = hashlib.sha1()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".py", ".xml", ".csv")):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, root).encode())
                with open(path, "rb") as file:
                    digest.update(file.read())
    commit = subprocess.run(
        ["git", "-C", root, "log", "-1", "--format=%h"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{root} at commit {commit or '?'}, files sha1 {digest.hexdigest()[:12]}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", required=True, help="scratch database, bench_*")
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--lines", type=int, default=1000000, help="open invoices (lines)")
    parser.add_argument("--as-of", help="as-of date, YYYY-MM-DD (default: company today)")
    parser.add_argument("--template", default="base_acc", help="database to copy if needed")
    parser.add_argument("--update", action="store_true", help="-u the addon in an existing db")
    parser.add_argument("--keep", action="store_true", help="keep a database this run created")
    parser.add_argument(
        "--db-templates",
        action="store_true",
        help="use the database's mail templates as they are (default: reload the addon's)",
    )
    parser.add_argument("--pdf", type=int, default=100, help="letters to render (0: none)")
    parser.add_argument("--pdf-sample", metavar="FILE", help="save the first letter there")
    parser.add_argument("--oca", action="store_true", help="compare with OCA credit control")
    parser.add_argument(
        "--oca-customers",
        type=int,
        default=2000,
        help="run OCA on the first N customers only, extrapolated (0: all)",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="also run phase p (a server with workers runs the day's dunning) on a copy",
    )
    parser.add_argument(
        "--production-only",
        action="store_true",
        help="build the ledger and run phase p only, on the database itself",
    )
    parser.add_argument(
        "--production-timeout", type=int, default=3600, help="phase p gives up after (s)"
    )
    parser.add_argument("--json", metavar="FILE", help="write phase p's figures there")
    parser.add_argument(
        "--cron-threads", type=int, default=1, help="phase p's --max-cron-threads (default 1)"
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=PRODUCTION_HTTP_PORT,
        help=f"port of phase p's server (default {PRODUCTION_HTTP_PORT})",
    )
    parser.add_argument(
        "--no-letters",
        action="store_true",
        help="phase p with the shipped levels' letters switched off (the run alone)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="cProfile _evaluate and run #1 into DIR (slows them down)",
    )
    args = parser.parse_args(argv)
    if not args.database.startswith("bench_"):
        parser.error("the database name must start with bench_ (the tool writes raw SQL)")
    if args.customers < 1 or args.lines < args.customers:
        parser.error("need at least one customer and one line per customer")
    args.config = os.path.abspath(args.config)
    args.workdir = os.path.dirname(os.path.abspath(__file__))

    config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level", "warn"], setup_logging=True
    )
    created = prepare_database(args)
    phases = []
    production_db = None
    production_copy = False
    try:
        with environment(args.database) as env:
            company = env.ref("base.main_company")
            as_of = (
                datetime.date.fromisoformat(args.as_of)
                if args.as_of
                else env["account.collection.open.item"]._company_today(company)
            )
            say(f"Addon {addon_fingerprint()}")
            say(f"As-of date {as_of}, company {company.name}, BATCH_SIZE {batch_size()}")

            build = Phase("0  build ledger (SQL)", "lines")
            with measure(env.cr, build):
                ledger = build_ledger(env, company, args.customers, args.lines, as_of)
                analyze(env.cr)
                env.cr.commit()
            ledger_lines = ledger["invoices"] + ledger["credits"]
            build.items = ledger_lines
            say(
                f"Ledger: {ledger['customers']} customers, {ledger['invoices']} invoices, "
                f"{ledger['credits']} credits (credit notes / unapplied payments)"
            )
            say(build.line())
            phases.append(build)

            if not args.db_templates:
                loaded = reload_mail_templates(env)
                say(f"Mail templates reloaded from {', '.join(loaded) or 'nothing'}")
            # the day's run of a company that has run dunning before (a first
            # run is a catch-up whose reminders wait for review)
            env["res.company"].search([]).collection_dunning_started = True
            env.cr.commit()
            params = ledger["params"]

        if args.production_only:
            production_db = args.database
        elif args.production:
            production_db = f"{args.database}_prod"
            say(f"Copying the ledger to {production_db} for phase p ...")
            Registry.delete(args.database)
            close_db(args.database)
            odoo_cmd(args.config, "duplicate", args.database, production_db, subcommand=["db"])
            production_copy = True

        run1_phase = rerun_ok = aging_phases = None
        if not args.production_only:
            with environment(args.database) as env:
                company = env.ref("base.main_company")
                policy = configure_policy(env, company)
                env.cr.commit()
                say(
                    f"Policy {policy.name!r}: levels "
                    + ", ".join(f"{lv.name} ({lv.days} d)" for lv in policy.level_ids)
                    + "; emails queued, no letter, no PDF attached"
                )

                say("\nPhase a: evaluation")
                eval_phases, _candidates = phase_evaluation(
                    env, company, as_of, ledger_lines, args.profile
                )
                phases += eval_phases

                say("\nPhase e: aging report as of the date")
                aging_phases = phase_aging(env, company, as_of, ledger_lines)
                phases += aging_phases

                say("\nPhase f: limitation dates")
                phases += phase_limitation(env, company, as_of, ledger_lines)

                say("\nPhase b: full run without PDFs, twice the same day")
                run1_phase, run1, count1 = phase_run(env, company, as_of, 1, args.profile)
                run2_phase, _run2, count2 = phase_run(env, company, as_of, 2)
                phases += [run1_phase, run2_phase]
                rerun_ok = count1 == count2
                say(
                    f"     communications after run #1: {count1}, after run #2: {count2} -> "
                    + ("no duplicate" if rerun_ok else "RERUN CREATED COMMUNICATIONS")
                )

                if args.pdf > 0:
                    say(f"\nPhase c: {args.pdf} PDF letters")
                    pdf_phase = phase_pdf(args, env, run1)
                    if pdf_phase:
                        phases.append(pdf_phase)

        production = None
        if production_db:
            say(f"\nPhase p: the production path on {production_db}")
            Registry.delete(production_db)
            close_db(production_db)
            production_phase, production = phase_production(args, production_db)
            phases.append(production_phase)
            if args.json:
                with open(args.json, "w") as file:
                    json.dump(production, file, indent=2)

        oca_phase = None
        if args.oca and not args.production_only:
            say("\nPhase d: OCA account_credit_control")
            registry = install_oca(args)
            with environment(args.database, registry) as env:
                company = env.ref("base.main_company")
                oca_phase, oca_lines = phase_oca(args, env, company, as_of, ledger, params)
                phases.append(oca_phase)

        say("\nSummary")
        print_table(phases)
        say("\nTargets")
        scaled = "" if ledger_lines >= 1_000_000 else ", extrapolated linearly"
        if run1_phase:
            evaluation = next(p for p in phases if p.name.startswith("a1"))
            eval_scaled = evaluation.seconds * 1_000_000 / max(ledger_lines, 1)
            say(
                f"  evaluation of 1,000,000 lines <= {TARGET_EVALUATION_SECONDS:.0f} s: "
                f"{evaluation.seconds:.2f} s for {ledger_lines:,} lines "
                f"(= {eval_scaled:.2f} s per 1M lines{scaled}) -> "
                f"{verdict(eval_scaled <= TARGET_EVALUATION_SECONDS)}"
            )
            say(
                f"  execution without PDFs >= {TARGET_CUSTOMERS_PER_SECOND:.0f} customers/s: "
                f"{run1_phase.rate:,.0f} customers/s (run #1) -> "
                f"{verdict(run1_phase.rate >= TARGET_CUSTOMERS_PER_SECOND)}"
            )
            say(f"  second run the same day creates nothing: {verdict(rerun_ok)}")
            aging_seconds = sum(phase.seconds for phase in aging_phases)
            aging_scaled = aging_seconds * 1_000_000 / max(ledger_lines, 1)
            say(
                f"  aging report of 1,000,000 lines in a few seconds: {aging_seconds:.2f} s "
                f"for {ledger_lines:,} lines (= {aging_scaled:.2f} s per 1M lines{scaled}), "
                f"{sum(phase.queries for phase in aging_phases)} queries"
            )
        if production:
            say(
                "  production: run done, every letter rendered, nothing killed: "
                + verdict(
                    production["run_state"] == "done"
                    and not production["letters_pending"]
                    and not production["letters_failed"]
                    and not production["killed"]
                    and not production["duplicates"]
                )
            )
            if production["letters_rendered"]:
                say(
                    f"  production letters >= {TARGET_LETTERS_PER_SECOND:.0f}/s and < 100 KB: "
                    f"{(production['letters_per_second'] or 0):.1f}/s, "
                    f"max {production['pdf_max_bytes']:,} B -> "
                    + verdict(
                        (production["letters_per_second"] or 0) >= TARGET_LETTERS_PER_SECOND
                        and production["pdf_max_bytes"] < 100_000
                    )
                )
            if production["customers_per_second"]:
                say(
                    f"  production run >= {TARGET_CUSTOMERS_PER_SECOND:.0f} customers/s: "
                    f"{production['customers_per_second']:,.0f} customers/s until Done -> "
                    + verdict(production["customers_per_second"] >= TARGET_CUSTOMERS_PER_SECOND)
                )
        if oca_phase:
            ours = run1_phase.seconds / max(run1_phase.items, 1)
            theirs = oca_phase.seconds / max(oca_phase.items, 1)
            ratio = theirs / ours if ours else float("inf")
            say(
                f"  >= {TARGET_OCA_RATIO:.0f}x faster than OCA: OCA {oca_phase.seconds:.2f} s "
                f"for {oca_phase.items:,} customers ({oca_lines:,} lines), ours "
                f"{run1_phase.seconds:.2f} s for {run1_phase.items:,} customers; "
                f"per customer {theirs * 1000:.2f} ms vs {ours * 1000:.2f} ms -> ratio "
                f"{ratio:.1f}x -> {verdict(ratio >= TARGET_OCA_RATIO)}"
            )
            if oca_phase.items < ledger["customers"]:
                say(
                    f"     OCA measured on a SUBSET ({oca_phase.items:,} of "
                    f"{ledger['customers']:,} customers); linear extrapolation to the full "
                    f"ledger: {theirs * ledger['customers']:.0f} s"
                )
    finally:
        if production_copy and not args.keep:
            Registry.delete(production_db)
            close_db(production_db)
            odoo_cmd(args.config, "drop", production_db, subcommand=["db"])
        if created and not args.keep:
            drop_database(args)
        elif created:
            say(f"Kept {args.database}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
