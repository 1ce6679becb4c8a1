#!/bin/bash
# One-shot Kafka init (docker-compose.yml, service kafka-init): creates Gongkai's topics before the
# services start, with the production settings the services would not give them. Idempotent: an
# existing topic is left as it is (change one with kafka-configs.sh, docs/operations.md).
#
# The list is the event catalog's (gongkai.events.TOPICS); tests/deploy/test_kafka_init.py fails when
# they differ, and runs this script against a stand-in kafka-topics.sh.
set -euo pipefail

KAFKA_BIN="${KAFKA_HOME:-/opt/kafka}/bin"
BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${TOPIC_PARTITIONS:-3}"
REPLICATION="${TOPIC_REPLICATION:-1}"
MIN_INSYNC="${TOPIC_MIN_INSYNC_REPLICAS:-1}"
RETENTION_MS="${TOPIC_RETENTION_MS:--1}"

TOPICS=(
  gongkai.documents
  gongkai.requests
  gongkai.letters
  gongkai.proposals
  gongkai.appeals
  gongkai.reports
  gongkai.public.documents
  gongkai.public.letters
)

for topic in "${TOPICS[@]}"; do
  # Each topic has a dead-letter topic beside it; both keep everything (retention -1 by default).
  for name in "$topic" "$topic.dlq"; do
    "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$name" \
      --partitions "$PARTITIONS" --replication-factor "$REPLICATION" \
      --config "retention.ms=$RETENTION_MS" \
      --config "min.insync.replicas=$MIN_INSYNC" \
      --config "cleanup.policy=delete"
  done
done
"$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --list
