import { classpathMajorVersion } from './kafka-version.ts';

/**
 * The broker's logging set-up, which depends on the Kafka on the classpath: log4j 1 (reload4j)
 * before Kafka 4, log4j2 from 4 (KIP-653), each with its own file format and JVM property.
 * Both say the same: everything to stdout, which the stack appends to kafka.log, in one line
 * format (readiness and the first error are read from it), and request and state-change logs
 * turned down, being noise for a dev broker.
 */
export interface KafkaLogging {
  fileName: string;
  contents: string;
  /** The JVM option that points the logging library at the file. */
  jvmOption(file: string): string;
}

const LOG4J: KafkaLogging = {
  fileName: 'log4j.properties',
  contents: `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.org.apache.kafka.clients=WARN
`,
  jvmOption: (file) => `-Dlog4j.configuration=file:${file}`,
};

const LOG4J2: KafkaLogging = {
  fileName: 'log4j2.properties',
  contents: `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.stateChange.name = state.change.logger
logger.stateChange.level = WARN
logger.controller.name = kafka.controller
logger.controller.level = INFO
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
`,
  jvmOption: (file) => `-Dlog4j2.configurationFile=${file}`,
};

export function kafkaLogging(classpath: string): KafkaLogging {
  return classpathMajorVersion(classpath) >= 4 ? LOG4J2 : LOG4J;
}
