"""Les genres d'import (ménages, mesures, logements), chacun décrit par une sous-classe de
`imports.genres.base.Genre`. `GENRES` est le registre que lisent les vues et la tâche."""

from .logements import GENRE as LOGEMENTS
from .menages import GENRE as MENAGES
from .mesures import GENRE as MESURES

GENRES = {genre.cle: genre for genre in (MENAGES, MESURES, LOGEMENTS)}
