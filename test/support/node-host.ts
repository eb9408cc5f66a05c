// What a node may add to the host, read from the host itself: its processes, link, routes,
// firewall chains, mounts, cgroups, fixed paths and the kernel settings the kubelet rewrites.
// A test compares it before `hack/plane up --node` and after `hack/plane down`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { run } from './plane.js';

const NODE_PROCESS_NAMES = [
  'kubelet',
  'containerd',
  'containerd-shim',
  'kube-proxy',
  'coredns',
  'kube-controller',
  'kube-scheduler',
];
const FIXED_PATHS = [
  '/var/lib/kubelet',
  '/var/lib/cni',
  '/var/log/pods',
  '/var/log/containers',
  '/run/containerd',
  '/run/workflow-resume-operator-node',
  '/run/workflow-resume-operator-node.lock',
  '/etc/cni/net.d',
  '/opt/cni',
];
const KUBELET_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];
const NODE_ADDRESSES = /10\.244\.|10\.96\.|10\.250\.78\./;

export interface HostState {
  processes: string[];
  links: string[];
  routes: string[];
  firewall: string[];
  mounts: string[];
  cgroups: string[];
  paths: string[];
  sysctls: string[];
}

async function lines(file: string, args: string[]): Promise<string[]> {
  const result = await run(file, args);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean);
}

function processes(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (NODE_PROCESS_NAMES.some((name) => comm.startsWith(name))) found.push(comm);
    } catch {
      // The process has exited meanwhile.
    }
  }
  return found.sort();
}

export async function hostState(planeDir: string): Promise<HostState> {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter(
      (point) =>
        point.startsWith(planeDir) ||
        point.startsWith('/run/netns') ||
        FIXED_PATHS.some((path) => point === path || point.startsWith(`${path}/`)),
    );
  const cgroups = readdirSync('/sys/fs/cgroup')
    .map((controller) => `/sys/fs/cgroup/${controller}/wro-node`)
    .filter((path) => existsSync(path));
  return {
    processes: processes(),
    links: (await lines('ip', ['-o', 'link', 'show'])).filter((l) => l.includes('wro-node')),
    routes: (await lines('ip', ['route', 'show'])).filter((l) => NODE_ADDRESSES.test(l)),
    firewall: [
      ...(await lines('iptables', ['-w', '-S'])),
      ...(await lines('iptables', ['-w', '-t', 'nat', '-S'])),
    ].filter((l) => /WRO-NODE|wro-node/.test(l)),
    mounts: mountPoints.sort(),
    cgroups,
    paths: FIXED_PATHS.filter((path) => existsSync(path)),
    sysctls: KUBELET_SYSCTLS.map((name) => `${name}=${readFileSync(`/proc/sys/${name}`, 'utf8').trim()}`),
  };
}
