#!/bin/sh
# MSI image entrypoint. Secrets never live in the image or in plain environment files: for every
# variable NAME__FILE=/path (double underscore), NAME is exported with the content of /path (trailing
# newline removed), e.g. MSI_CALENDAR_SIGNING_KEY__FILE=/run/secrets/calendar_signing_key.
# Variables whose own name ends in _FILE (MSI_INGEST_CREDENTIALS_FILE, ...) are paths read by the
# services themselves and are left alone. Then the command replaces this shell (exec).
set -eu
for pair in $(env | grep -o '^[A-Z0-9_]*__FILE=' || true); do
  file_var=${pair%=}
  name=${file_var%__FILE}
  eval "path=\${$file_var}"
  if [ ! -r "$path" ]; then
    echo "docker-entrypoint: $file_var names $path, which cannot be read" >&2
    exit 2
  fi
  value=$(cat "$path")
  export "$name=$value"
  unset "$file_var"
done
exec "$@"
