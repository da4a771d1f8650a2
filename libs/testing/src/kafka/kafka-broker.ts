import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '../free-port';
import { startJavaServer } from '../java-process';
import { JAVA, requireCommands } from '../prerequisites';
import { ensureKafkaDistribution } from './kafka-distribution';

const execFileAsync = promisify(execFile);

export interface KafkaBroker {
  /** `host:port` bootstrap addresses for clients. */
  brokers: string[];
  /** Apache Kafka version of the running broker (from the pinned pom). */
  version: string;
  pid: number;
  /** Folder with the broker's data, config and logs; removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** Partitions of topics created without an explicit count. */
  defaultPartitions?: number;
  heapMb?: number;
  startTimeoutMs?: number;
}

/**
 * Starts a real single-node Apache Kafka broker (KRaft, broker and controller in one JVM)
 * from the jars of `libs/testing/kafka/pom.xml`, on free ports, with throwaway storage.
 */
export async function startKafkaBroker(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const java = requireCommands([JAVA]).get(JAVA.command)!;
  const distribution = await ensureKafkaDistribution();
  const classpath = join(distribution.libsDir, '*');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
  const [port, controllerPort] = await twoFreePorts();
  const propertiesFile = join(dir, 'server.properties');
  writeFileSync(propertiesFile, serverProperties({ dir, port, controllerPort, partitions: options.defaultPartitions ?? 3 }));
  writeFileSync(join(dir, 'log4j.properties'), log4jProperties(join(dir, 'server.log')));
  const log4j = `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`;

  try {
    // A short-lived JVM: skip the optimising compiler, it only costs start time here.
    await execFileAsync(java, [
      '-Xmx256m', '-XX:TieredStopAtLevel=1', log4j, '-cp', classpath,
      'kafka.tools.StorageTool', 'format', '-t', randomClusterId(), '-c', propertiesFile,
    ]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const output = err as { stdout?: string; stderr?: string };
    throw new Error(`Formatting Kafka storage failed: ${output.stdout ?? ''}${output.stderr ?? ''}`.trim());
  }

  const heapMb = options.heapMb ?? 512;
  const brokers = [`127.0.0.1:${port}`];
  const server = await startJavaServer({
    java,
    args: [
      `-Xms${Math.min(256, heapMb)}m`, `-Xmx${heapMb}m`,
      '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExplicitGCInvokesConcurrent',
      '-Djava.awt.headless=true', log4j, `-Dkafka.logs.dir=${dir}`,
      '-cp', classpath, 'kafka.Kafka', propertiesFile,
    ],
    dir,
    name: 'Kafka broker',
    address: brokers.join(','),
    isReady: readinessCheck(brokers),
    timeoutMs: options.startTimeoutMs ?? 60_000,
    pollMs: 200,
    logFiles: ['console.log', 'server.log'],
  });
  return { brokers, version: distribution.version, pid: server.pid, dir, stop: server.stop };
}

function serverProperties(p: { dir: string; port: number; controllerPort: number; partitions: number }): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${p.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${p.port},CONTROLLER://127.0.0.1:${p.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${p.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${join(p.dir, 'data')}`,
    `num.partitions=${p.partitions}`,
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // Internal topics: one replica (one broker) and few partitions, so the first consumer
    // group or transaction does not wait for 50 partitions to be created.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    // Tests start groups constantly: no 3 s wait for more members, and short sessions allowed.
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    // Topics are provisioned explicitly (ensureTopics); a typo must fail, not create a topic.
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

function log4jProperties(logFile: string): string {
  return [
    'log4j.rootLogger=WARN, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
}

/** Kafka's Uuid format: 16 random bytes, base64url without padding, never starting with '-'. */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function twoFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  let second = await freePort();
  while (second === first) second = await freePort();
  return [first, second];
}

function readinessCheck(brokers: string[]): () => Promise<boolean> {
  const admin = new Kafka({
    clientId: 'sluice-testing-readiness',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  }).admin();
  return async () => {
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      // KRaft: the broker answers once it has registered with its own controller. Asking
      // for a group's offsets then creates __consumer_offsets, so the first test's consumer
      // group does not meet "coordinator not available".
      if (cluster.brokers.length === 0 || cluster.controller === null) return false;
      await admin.fetchOffsets({ groupId: 'sluice-testing-readiness' });
      await admin.disconnect();
      return true;
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  };
}
