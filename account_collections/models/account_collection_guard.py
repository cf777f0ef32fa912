import contextlib
import contextvars

from odoo import api, models
from odoo.exceptions import AccessError, UserError

#: Set while a model's own method changes the fields it guards. A context variable of
#: this process (per thread and request), not the ORM context: a client can set any
#: context key over RPC, never this.
_TRUSTED = contextvars.ContextVar("account_collections_trusted", default=False)


@contextlib.contextmanager
def trusted_changes():
    """Let the code inside change guarded fields: for the models' own methods only,
    after they have checked the caller's right."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def changes_are_trusted(env):
    """Whether guarded fields may change now: inside :func:`trusted_changes`, or in
    superuser mode (``sudo()`` on the server; no RPC call runs as superuser)."""
    return env.su or _TRUSTED.get()


def state_label(record):
    """The label of ``record``'s state, as the user sees it."""
    return record._fields["state"].convert_to_export(record.state, record)


class AccountCollectionGuardMixin(models.AbstractModel):
    """Fields that only the model's own methods set.

    State, approvals, approvers, overrides and postings
    (``_collection_protected_fields``) are never set by ``create``/``write`` from a
    client, whatever its context; and once a record is in one of
    ``_collection_locked_states`` its money and terms (``_collection_locked_fields``)
    stay as they are. A line model names its parent (``_collection_parent_field``):
    its lines are then fixed, created and deleted only while the parent is not locked.
    The methods that change these fields check the caller's right, then write through
    :meth:`_collection_write` / :meth:`_collection_create`.
    """

    _name = "account.collection.guard.mixin"
    _description = "Collections: fields only the model's own methods set"

    #: Fields a client never sets: state, approvals, approvers, overrides, postings.
    _collection_protected_fields = frozenset()
    #: States in which the record's money and terms are fixed...
    _collection_locked_states = frozenset()
    #: ...and those fields (for a line model: every field, through its parent).
    _collection_locked_fields = frozenset()
    #: For a line model: the many2one to the record whose state locks the line.
    _collection_parent_field = None

    # ------------------------------------------------------------------
    # LOW-LEVEL
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        records = self
        if not changes_are_trusted(self.env):
            for vals in vals_list:
                self._collection_check_create(vals)
            # the client's context may not default what its values may not set
            records = self._collection_without_context_defaults()
        return super(AccountCollectionGuardMixin, records).create(vals_list)

    def write(self, vals):
        if not changes_are_trusted(self.env):
            self._collection_check_write(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_collection_locked(self):
        if self._collection_parent_field and not changes_are_trusted(self.env):
            self._collection_locked_records()._collection_raise_locked()

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def _collection_write(self, vals):
        """Write ``vals``, guarded fields included: for the model's own methods, once
        they have checked the caller's right."""
        with trusted_changes():
            return self.write(vals)

    def _collection_unlink(self):
        """Delete lines of a locked parent: for the model's own methods."""
        with trusted_changes():
            return self.unlink()

    @api.model
    def _collection_create(self, vals_list):
        """Create records with guarded fields set: for the model's own methods."""
        with trusted_changes():
            return self.create(vals_list)

    def _log_transition(self, action):
        """Note on each record's chatter who did ``action`` (the message has the time)."""
        for record in self:
            record.message_post(
                body=self.env._("%(action)s by %(user)s.", action=action, user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )

    def _collection_protected_names(self):
        """The fields of this model a client never sets (an extension may add some):
        those named, and the stored computed and related fields the model keeps itself
        (totals, a line's state or company), which a write would otherwise overwrite."""
        names = set(self._collection_protected_fields)
        names.update(
            name
            for name, field in self._fields.items()
            if field.store and field.compute and field.readonly and not field.inverse
        )
        return names

    def _collection_without_context_defaults(self):
        """``self`` without the context's ``default_<field>`` keys of guarded fields."""
        keys = {f"default_{name}" for name in self._collection_protected_names()}
        if not keys & set(self.env.context):
            return self
        context = {key: value for key, value in self.env.context.items() if key not in keys}
        return self.with_env(self.env(context=context))

    def _collection_check_create(self, vals):
        protected = {
            name
            for name in self._collection_protected_names() & set(vals)
            if not self._collection_is_field_default(name, vals[name])
        }
        if protected:
            self._collection_raise_protected(protected)
        parent_name = self._collection_parent_field
        if parent_name and vals.get(parent_name):
            parent = self.env[self._fields[parent_name].comodel_name].browse(vals[parent_name])
            if parent.exists() and parent.state in self._collection_locked_states:
                self._collection_raise_locked(parent)

    def _collection_is_field_default(self, name, value):
        """Whether ``value`` is the field's own default (never the context's): leaving
        a guarded field at its default is no change."""
        field = self._fields[name]
        if field.type in ("one2many", "many2many"):
            return not value
        default = field.default(self) if field.default else False
        return field.convert_to_cache(value, self) == field.convert_to_cache(default, self)

    def _collection_check_write(self, vals):
        protected = self._collection_protected_names() & set(vals)
        if protected:
            self._collection_raise_protected(protected)
        parent_name = self._collection_parent_field
        if parent_name:
            self._collection_locked_records()._collection_raise_locked()
            # nor moved into a locked parent
            if vals.get(parent_name):
                comodel = self._fields[parent_name].comodel_name
                parent = self.env[comodel].browse(vals[parent_name])
                if parent.state in self._collection_locked_states:
                    self._collection_raise_locked(parent)
        elif set(vals) & self._collection_locked_fields:
            locked = self.filtered(lambda r: r.state in self._collection_locked_states)
            if locked:
                raise UserError(
                    self.env._(
                        "%(records)s is %(state)s: its amounts and terms stay as they are.",
                        records=", ".join(locked.mapped("display_name")),
                        state=state_label(locked[0]),
                    )
                )

    def _collection_locked_records(self):
        """The lines among ``self`` whose parent is locked."""
        parent_name = self._collection_parent_field
        return self.filtered(lambda line: line[parent_name].state in self._collection_locked_states)

    def _collection_raise_locked(self, parent=None):
        if parent is None:
            if not self:
                return
            parent = self[0][self._collection_parent_field]
        raise UserError(
            self.env._(
                "%(record)s is %(state)s: its lines stay as they are.",
                record=parent.display_name,
                state=state_label(parent),
            )
        )

    def _collection_raise_protected(self, names):
        labels = ", ".join(sorted(self._fields[name].string for name in names))
        raise AccessError(
            self.env._(
                "%(fields)s of %(model)s change only through the record's own buttons, "
                "which check who may do so.",
                fields=labels,
                model=self._description,
            )
        )
