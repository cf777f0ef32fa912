from odoo import api, fields, models
from odoo.tools import SQL

from ..engine.aging import MAX_LIMITS

#: Bucket columns a model has: the most a company can define.
MAX_BUCKETS = MAX_LIMITS + 2


class AccountCollectionAgingBucketMixin(models.AbstractModel):
    """Amount columns per aging bucket, titled after the company's buckets.

    Buckets are configured per company, so the columns are numbered
    (``amount_bucket_0`` is "not due", then the overdue buckets in order) and
    take their titles from the buckets in the context key
    ``collection_aging_labels`` (set by the actions opening the views), else
    from the current company's. Views hide the columns past
    ``collection_aging_bucket_count``.
    """

    _name = "account.collection.aging.bucket.mixin"
    _description = "Collections: amounts per aging bucket"

    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_bucket_0 = fields.Monetary(string="Not Due", readonly=True, aggregator="sum")
    amount_bucket_1 = fields.Monetary(string="Bucket 2", readonly=True, aggregator="sum")
    amount_bucket_2 = fields.Monetary(string="Bucket 3", readonly=True, aggregator="sum")
    amount_bucket_3 = fields.Monetary(string="Bucket 4", readonly=True, aggregator="sum")
    amount_bucket_4 = fields.Monetary(string="Bucket 5", readonly=True, aggregator="sum")
    amount_bucket_5 = fields.Monetary(string="Bucket 6", readonly=True, aggregator="sum")
    amount_bucket_6 = fields.Monetary(string="Bucket 7", readonly=True, aggregator="sum")
    amount_bucket_7 = fields.Monetary(string="Bucket 8", readonly=True, aggregator="sum")
    amount_bucket_8 = fields.Monetary(string="Bucket 9", readonly=True, aggregator="sum")
    amount_bucket_9 = fields.Monetary(string="Bucket 10", readonly=True, aggregator="sum")

    @api.model
    def _bucket_amount_fields(self):
        return [f"amount_bucket_{index}" for index in range(MAX_BUCKETS)]

    @api.model
    def _get_bucket_labels(self):
        """The titles of the bucket columns, from the context or the company."""
        labels = self.env.context.get("collection_aging_labels")
        if labels:
            return list(labels)
        company = self.env.company
        return company._get_collection_bucket_labels(company._get_collection_aging_buckets())

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        result = super().fields_get(allfields, attributes)
        if attributes and "string" not in attributes:
            return result
        labels = self._get_bucket_labels()
        for index, name in enumerate(self._bucket_amount_fields()):
            if name in result and index < len(labels):
                result[name]["string"] = labels[index]
        return result

    @api.model
    def _bucket_index_sql(self, days, buckets):
        """SQL: the index of the bucket an item ``days`` old falls in."""
        cases = SQL(" ").join(
            SQL("WHEN %s <= %s THEN %s", days, bucket.high, index)
            for index, bucket in enumerate(buckets[:-1])
        )
        return SQL("CASE %s ELSE %s END", cases, len(buckets) - 1)

    @api.model
    def _bucket_amounts_sql(self, index, amount):
        """SQL: one value per bucket column, ``amount`` in the item's bucket."""
        return SQL(", ").join(
            SQL("CASE WHEN %s = %s THEN %s ELSE 0 END", index, position, amount)
            for position in range(MAX_BUCKETS)
        )
