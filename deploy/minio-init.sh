#!/bin/sh
# Creates the bucket and its 1-day expiration rule (the same rule `exifq api` and
# `exifq worker` make sure of at start-up). Idempotent: `mc ilm import` replaces
# the bucket's lifecycle configuration with deploy/minio-lifecycle.json.
set -eu
until mc alias set store "$S3_ENDPOINT_URL" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"; do
    echo "waiting for MinIO at $S3_ENDPOINT_URL"; sleep 1
done
mc mb --ignore-existing "store/$S3_BUCKET"
mc ilm import "store/$S3_BUCKET" < /lifecycle.json
mc ilm rule ls "store/$S3_BUCKET"
