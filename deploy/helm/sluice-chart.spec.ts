import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureHelm } from '@sluice/testing';

// The chart is rendered by a real helm (built once from the Go module proxy by ensureHelm,
// pre-built by .ci/install-prereqs.sh): lint, values schema, and what each object says.
jest.setTimeout(20 * 60_000);

const CHART = join(__dirname, 'sluice');
const SERVICES = ['api', 'scheduler', 'router', 'billing', 'files'];
// `--set` splits on commas: a list of brokers escapes them.
const REQUIRED = ['--set', 'kafka.brokers=kafka-0.kafka:9092\\,kafka-1.kafka:9092'];
// helm built with `go install` does not know which Kubernetes it would talk to: name one the chart supports.
const KUBE = ['--kube-version', '1.31.0'];

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let helm: string;
beforeAll(() => {
  helm = ensureHelm().path;
});

function helmRun(args: string[]) {
  return spawnSync(helm, args, { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'sluice-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'sluice-helm-config') } });
}

function render(args: string[] = REQUIRED): K8sObject[] {
  const run = helmRun(['template', 'prod', CHART, '--namespace', 'sluice', ...KUBE, ...args]);
  if (run.status !== 0) throw new Error(run.stderr);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const container = (deployment: K8sObject) => deployment.spec.template.spec.containers[0];
const envOf = (c: { env: { name: string; value?: string; valueFrom?: unknown }[] }) => Object.fromEntries(c.env.map((e) => [e.name, e.value ?? e.valueFrom]));

describe('Helm chart deploy/helm/sluice', () => {
  it('passes helm lint (strict) with the brokers set', () => {
    const run = helmRun(['lint', '--strict', CHART, ...KUBE, ...REQUIRED]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('0 chart(s) failed');
  });

  it('renders one Deployment per service, running its start script on Kafka with its own database', () => {
    const deployments = byKind(render(), 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toEqual(SERVICES.map((s) => `prod-sluice-${s}`));
    for (const [i, service] of SERVICES.entries()) {
      const c = container(deployments[i]);
      expect(c.command).toEqual(['npm', 'run', '--silent', `start:${service}`]);
      const env = envOf(c);
      expect(env.KAFKA_BROKERS).toBe('kafka-0.kafka:9092,kafka-1.kafka:9092');
      expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: 'sluice-databases', key: `${service}-database-url` } });
      expect(env.BLOB_STORE).toBe('s3');
      expect(env.MIGRATE_ON_START).toBeUndefined();
      expect(deployments[i].spec.selector.matchLabels['app.kubernetes.io/component']).toBe(service);
    }
  });

  it('gives every pod startup, liveness and readiness probes on its probe port, and only the API an HTTP port', () => {
    for (const deployment of byKind(render(), 'Deployment')) {
      const c = container(deployment);
      expect(envOf(c).HEALTH_PORT).toBe('9090');
      expect(c.startupProbe.httpGet).toEqual({ path: '/livez', port: 'probes' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'probes' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'probes' });
      const ports = c.ports.map((p: { name: string }) => p.name);
      expect(ports).toEqual(deployment.metadata.name.endsWith('-api') ? ['http', 'probes'] : ['probes']);
    }
  });

  it('runs the migrations in a pre-install/pre-upgrade hook Job over all five databases', () => {
    const [job] = byKind(render(), 'Job');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['npm', 'run', '--silent', 'migrate', '--', 'deploy']);
    expect(Object.keys(envOf(c))).toEqual(SERVICES.map((s) => `${s.toUpperCase()}_DATABASE_URL`));
    expect(byKind(render([...REQUIRED, '--set', 'migrations.enabled=false']), 'Job')).toHaveLength(0);
  });

  it('scales the API with an HPA and a PDB by default, and exposes it through a Service and, when enabled, an Ingress', () => {
    const objects = render([...REQUIRED, '--set', 'ingress.enabled=true', '--set', 'ingress.host=api.sluice.test']);
    expect(byKind(objects, 'HorizontalPodAutoscaler').map((h) => h.metadata.name)).toEqual(['prod-sluice-api']);
    expect(byKind(objects, 'PodDisruptionBudget').map((p) => p.metadata.name)).toEqual(['prod-sluice-api']);
    const api = byKind(objects, 'Deployment')[0];
    expect(api.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(byKind(objects, 'Deployment')[1].spec.replicas).toBe(1);
    const [service] = byKind(objects, 'Service');
    expect(service.spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
    const [ingress] = byKind(objects, 'Ingress');
    expect(ingress.spec.rules[0]).toMatchObject({
      host: 'api.sluice.test',
      http: { paths: [{ path: '/', backend: { service: { name: 'prod-sluice-api', port: { name: 'http' } } } }] },
    });
    expect(byKind(render(), 'Ingress')).toHaveLength(0);
  });

  it('mounts an operator catalogue from a ConfigMap and points SLUICE_CATALOGUE at it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-chart-'));
    const file = join(dir, 'catalogue.json');
    copyFileSync(join(__dirname, '..', '..', 'config', 'catalogue.demo.json'), file);
    const objects = render([...REQUIRED, '--set-file', `catalogue.json=${file}`]);
    const [configMap] = byKind(objects, 'ConfigMap');
    expect(JSON.parse((configMap as unknown as { data: Record<string, string> }).data['catalogue.json']).providers.length).toBeGreaterThan(0);
    for (const deployment of byKind(objects, 'Deployment')) expect(envOf(container(deployment)).SLUICE_CATALOGUE).toBe('/etc/sluice/catalogue.json');
  });

  it('sends every service\'s traces to the OTLP endpoint when one is set', () => {
    for (const deployment of byKind(render(), 'Deployment')) expect(envOf(container(deployment)).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    const traced = byKind(render([...REQUIRED, '--set', 'telemetry.otlpEndpoint=http://tempo.observability:4318']), 'Deployment');
    for (const deployment of traced) expect(envOf(container(deployment)).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://tempo.observability:4318');
  });

  it('provisions the Grafana dashboards of deploy/grafana as sidecar ConfigMaps only when enabled', () => {
    const dashboards = readdirSync(join(__dirname, '..', 'grafana', 'dashboards')).filter((f) => f.endsWith('.json')).sort();
    expect(dashboards).toEqual(['batch-sla.json', 'money.json', 'overview.json', 'providers.json', 'realtime.json']);
    const dashboardMaps = (objects: K8sObject[]) => byKind(objects, 'ConfigMap').filter((c) => c.metadata.name.includes('-dashboard-'));
    expect(dashboardMaps(render())).toHaveLength(0);

    const maps = dashboardMaps(render([...REQUIRED, '--set', 'grafana.dashboards.enabled=true']));
    expect(maps.map((m) => m.metadata.name)).toEqual(dashboards.map((f) => `prod-sluice-dashboard-${f.replace('.json', '')}`));
    for (const [i, map] of maps.entries()) {
      expect(map.metadata.labels?.grafana_dashboard).toBe('1');
      const data = (map as unknown as { data: Record<string, string> }).data;
      expect(Object.keys(data)).toEqual([`sluice-${dashboards[i]}`]);
      expect(JSON.parse(data[`sluice-${dashboards[i]}`])).toEqual(JSON.parse(readFileSync(join(__dirname, '..', 'grafana', 'dashboards', dashboards[i]), 'utf8')));
    }

    const custom = dashboardMaps(
      render([...REQUIRED, '--set', 'grafana.dashboards.enabled=true', '--set', 'grafana.dashboards.label=sluice-dash', '--set', 'grafana.dashboards.labelValue=yes', '--set', 'grafana.dashboards.namespace=monitoring', '--set', 'grafana.dashboards.annotations.grafana_folder=Sluice']),
    );
    expect(custom).toHaveLength(dashboards.length);
    for (const map of custom) {
      expect(map.metadata.labels?.['sluice-dash']).toBe('yes');
      expect(map.metadata.labels?.grafana_dashboard).toBeUndefined();
      expect((map.metadata as { namespace?: string }).namespace).toBe('monitoring');
      expect(map.metadata.annotations).toEqual({ grafana_folder: 'Sluice' });
    }
  });

  it('refuses values that cannot work, saying which', () => {
    expect(() => render([])).toThrow(/kafka.brokers is required/);
    expect(() => render(['--set', 'kafka.brokers=not a broker list'])).toThrow(/kafka.brokers/);
    expect(() => render([...REQUIRED, '--set', 'blobStore.bucket=Bad_Bucket'])).toThrow(/bucket/);
    expect(() => render([...REQUIRED, '--set', 'services.api.replicas=-1'])).toThrow(/replicas/);
    expect(() => render([...REQUIRED, '--set', 'telemetry.otlpEndpoint=tempo:4318'])).toThrow(/otlpEndpoint/);
  });
});
