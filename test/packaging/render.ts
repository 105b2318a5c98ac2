// Renders deploy/ with the machine's kubectl (kustomize built in) and runs kubectl against a simulator.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with a private HOME (no cache or config of the machine leaks in), bounded to 60 s. */
export function kubectl(args: string[], stdin?: string): Promise<KubectlResult> {
  const home = mkdtempSync(join(tmpdir(), 'butler-kubectl-home-'));
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, timeout: 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true });
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** `kubectl kustomize <dir>` as YAML text and as objects. */
export async function renderKustomization(dir: string): Promise<{ text: string; objects: ManifestObject[] }> {
  const r = await kubectl(['kustomize', dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  const objects = yaml.loadAll(r.stdout).filter((o): o is ManifestObject => typeof o === 'object' && o !== null);
  return { text: r.stdout, objects };
}
