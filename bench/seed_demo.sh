#!/usr/bin/env bash
# Mesure le temps et la mémoire de seed_demo à grande échelle sur PostgreSQL (pas un test).
# Usage : bash bench/seed_demo.sh [MENAGES=100000] [BASE=logement_bench]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
menages=${1:-100000}
base=${2:-logement_bench}
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$base"
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $base" -c "CREATE DATABASE $base"
.venv/bin/python manage.py migrate -v0
debut=$(date +%s.%N)
/usr/bin/time -f "mémoire max : %M Kio" .venv/bin/python manage.py seed_demo --menages "$menages" -v0
fin=$(date +%s.%N)
printf 'seed_demo --menages %s : %.1f s\n' "$menages" "$(echo "$fin - $debut" | bc)"
psql -h 127.0.0.1 -U postgres -d "$base" -Atc "
  SELECT 'ménages', count(*) FROM menages_menage UNION ALL
  SELECT 'personnes', count(*) FROM menages_personne UNION ALL
  SELECT 'situations', count(*) FROM menages_situationresidentielle UNION ALL
  SELECT 'mesures', count(*) FROM accompagnement_mesure UNION ALL
  SELECT 'rencontres', count(*) FROM accompagnement_rencontre UNION ALL
  SELECT 'propositions', count(*) FROM attributions_proposition"
