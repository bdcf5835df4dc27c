"""Expressions SQL communes, identiques sous SQLite et PostgreSQL."""

from django.db.models import Func, IntegerField


class JoursEntre(Func):
    """Nombre entier de jours de `debut` à `fin` (deux dates).

    PostgreSQL soustrait deux dates en jours ; SQLite n'a pas de type date et passe par
    julianday(). Une soustraction en DurationField rendrait un intervalle, qu'on ne peut
    ensuite ni diviser ni convertir en jours de la même façon sur les deux bases.
    """

    arity = 2
    output_field = IntegerField()

    def __init__(self, fin, debut, **extra):
        super().__init__(fin, debut, **extra)

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )
