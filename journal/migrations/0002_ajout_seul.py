"""Le journal en ajout seul, jusque dans la base : UPDATE et DELETE refusés, sauf quand le drapeau
de `journal_autorisation` est levé (par journal.services, dans sa transaction).

`journal_autorisation` n'est pas un modèle : `flush` ne la vide pas et l'ORM ne la voit pas."""

from django.db import migrations

MESSAGE = "Le journal est en ajout seul : modification et suppression interdites."

SQLITE = [
    "CREATE TABLE journal_autorisation ("
    " id integer PRIMARY KEY CHECK (id = 1), purge bool NOT NULL DEFAULT 0)",
    "INSERT INTO journal_autorisation (id, purge) VALUES (1, 0)",
    *[
        f"""CREATE TRIGGER journal_evenement_sans_{op.lower()}
        BEFORE {op} ON journal_evenement
        WHEN COALESCE((SELECT purge FROM journal_autorisation WHERE id = 1), 0) = 0
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
        for op in ("UPDATE", "DELETE")
    ],
]

POSTGRESQL = [
    "CREATE TABLE journal_autorisation ("
    " id integer PRIMARY KEY CHECK (id = 1), purge boolean NOT NULL DEFAULT false)",
    "INSERT INTO journal_autorisation (id, purge) VALUES (1, false)",
    f"""CREATE FUNCTION journal_evenement_ajout_seul() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF COALESCE((SELECT purge FROM journal_autorisation WHERE id = 1), false) THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER journal_evenement_ajout_seul
    BEFORE UPDATE OR DELETE ON journal_evenement
    FOR EACH ROW EXECUTE FUNCTION journal_evenement_ajout_seul()""",
    # TRUNCATE ne déclenche pas les triggers de ligne : un trigger d'instruction le couvre.
    """CREATE TRIGGER journal_evenement_sans_truncate
    BEFORE TRUNCATE ON journal_evenement
    FOR EACH STATEMENT EXECUTE FUNCTION journal_evenement_ajout_seul()""",
]

ANNULER = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS journal_evenement_sans_update",
        "DROP TRIGGER IF EXISTS journal_evenement_sans_delete",
        "DROP TABLE IF EXISTS journal_autorisation",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS journal_evenement_sans_truncate ON journal_evenement",
        "DROP TRIGGER IF EXISTS journal_evenement_ajout_seul ON journal_evenement",
        "DROP FUNCTION IF EXISTS journal_evenement_ajout_seul()",
        "DROP TABLE IF EXISTS journal_autorisation",
    ],
}


def _executer(schema_editor, instructions):
    for sql in instructions:
        schema_editor.execute(sql, params=None)


def proteger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _executer(schema_editor, SQLITE)
    elif vendor == "postgresql":
        _executer(schema_editor, POSTGRESQL)
    else:
        raise NotImplementedError(f"Journal en ajout seul : moteur {vendor} non prévu.")


def deproteger(apps, schema_editor):
    _executer(schema_editor, ANNULER.get(schema_editor.connection.vendor, []))


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]

    operations = [migrations.RunPython(proteger, deproteger)]
