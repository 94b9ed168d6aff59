#!/bin/sh
# Stand-in for Kafka's bin/kafka-run-class.sh: runs a class from /opt/kafka/libs.
# Honours the same variables as the official script where they matter here.
set -e
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.yaml}
# shellcheck disable=SC2086  # the *_OPTS variables are word lists, as in Kafka's own script
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -Djava.awt.headless=true} \
  $log4j ${KAFKA_OPTS:-} -cp '/opt/kafka/libs/*' "$@"
