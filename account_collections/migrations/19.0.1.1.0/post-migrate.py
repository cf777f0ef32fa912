"""Communications now carry the channels and template they go out with.

Reminders created before 19.0.1.1.0 read them from their level: copy them
over, so that reminders still awaiting review are sent as they were meant to.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE account_collection_communication c
           SET send_email = level.send_email,
               mail_template_id = CASE WHEN level.send_email THEN level.mail_template_id END,
               email_attach_letter = level.send_email AND level.email_attach_letter,
               send_letter = level.send_letter
          FROM account_collection_level level
         WHERE level.id = c.level_id AND c.send_email IS NULL
        """
    )
    # the level each invoice last reached, from the reminders sent so far
    cr.execute(
        """
        INSERT INTO account_collection_move_level (move_id, level_id, date)
        SELECT DISTINCT ON (line.move_id) line.move_id, line.level_id, line.date
          FROM account_collection_communication_line line
          JOIN account_collection_communication c ON c.id = line.communication_id
         WHERE c.state = 'sent' AND c.kind = 'reminder'
         ORDER BY line.move_id, line.date DESC, line.id DESC
        ON CONFLICT (move_id) DO NOTHING
        """
    )
