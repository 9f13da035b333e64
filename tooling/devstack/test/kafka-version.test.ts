import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackError } from '../src/errors.ts';
import { kafkaLogging } from '../src/kafka-logging.ts';
import { classpathMajorVersion, kafkaVersion } from '../src/kafka-version.ts';
import { repoRoot } from '../src/paths.ts';
import { stackSettings } from '../src/stack.ts';

describe('the Kafka version of the stack', () => {
  let dir: string;
  let pom: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-version-'));
    pom = join(dir, 'pom.xml');
    writeFileSync(
      pom,
      '<project><properties><kafka.version>3.9.2</kafka.version></properties></project>',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("when KAFKA_VERSION is unset or empty, then it is the POM's kafka.version", () => {
    expect(kafkaVersion({}, pom)).toBe('3.9.2');
    expect(kafkaVersion({ KAFKA_VERSION: '' }, pom)).toBe('3.9.2');
  });

  it('when KAFKA_VERSION names a release, then it overrides the POM', () => {
    expect(kafkaVersion({ KAFKA_VERSION: '4.4.0' }, pom)).toBe('4.4.0');
  });

  it('when KAFKA_VERSION is not a release number, then it fails naming the variable', () => {
    expect(() => kafkaVersion({ KAFKA_VERSION: '4.x' }, pom)).toThrow(
      new StackError('KAFKA_VERSION must be a release such as 4.1.1, got "4.x"'),
    );
  });

  it('when KAFKA_VERSION is bad, then the stack settings still load (stack down needs no version) and fail only when the version is read', () => {
    const settings = stackSettings({ KAFKA_VERSION: '4.x' });
    expect(settings.kafkaPort).toBe(9092);
    expect(() => settings.kafkaVersion).toThrow(StackError);
  });

  it("when the project's POM is read, then it declares a release", () => {
    expect(kafkaVersion({})).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('the broker logging for the jars on the classpath', () => {
  const classpath = (version: string) =>
    `/m2/org/slf4j/slf4j-api-1.7.36.jar:/m2/org/apache/kafka/kafka_2.13/${version}/kafka_2.13-${version}.jar:/m2/org/apache/kafka/kafka-clients/${version}/kafka-clients-${version}.jar`;

  it('when the broker jar is Kafka 3.x, then it is log4j 1 (reload4j) through -Dlog4j.configuration', () => {
    expect(classpathMajorVersion(classpath('3.9.2'))).toBe(3);
    const logging = kafkaLogging(classpath('3.9.2'));
    expect(logging.fileName).toBe('log4j.properties');
    expect(logging.jvmOption('/s/log4j.properties')).toBe(
      '-Dlog4j.configuration=file:/s/log4j.properties',
    );
    expect(logging.contents).toContain('log4j.rootLogger=INFO, stdout');
  });

  it('when the broker jar is Kafka 4.x, then it is log4j2 through -Dlog4j2.configurationFile', () => {
    expect(classpathMajorVersion(classpath('4.4.0'))).toBe(4);
    const logging = kafkaLogging(classpath('4.4.0'));
    expect(logging.fileName).toBe('log4j2.properties');
    expect(logging.jvmOption('/s/log4j2.properties')).toBe(
      '-Dlog4j2.configurationFile=/s/log4j2.properties',
    );
    // The line format the readiness check and the first-error report read.
    expect(logging.contents).toContain('layout.pattern = [%d] %p %m (%c)%n');
  });

  it('when the classpath has no broker jar, then it fails saying so', () => {
    expect(() => classpathMajorVersion('/m2/kafka-clients-4.4.0.jar')).toThrow(
      'the Kafka classpath holds no kafka_2.13 jar',
    );
  });
});

describe('the one Kafka version, wherever a broker is started', () => {
  const imageIn = (file: string) =>
    /image: apache\/kafka:(\S+)/.exec(readFileSync(join(repoRoot(), file), 'utf8'))?.[1];

  it("when docker compose or CI's service container runs the broker, then it is the POM's release", () => {
    const version = kafkaVersion({});
    expect({
      compose: imageIn('docker-compose.yml'),
      ci: imageIn('.github/workflows/ci.yml'),
    }).toEqual({
      compose: version,
      ci: version,
    });
  });
});
