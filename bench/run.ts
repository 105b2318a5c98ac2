// `npm run bench`: runs every bench/*.bench.ts in its own process (one at a time, so they do not compete for
// the two cores) and writes their markdown tables to docs/performance.md with the command, machine and date.
// `npm run bench -- sim api` runs only the named benchmarks and keeps the other sections of the file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.join(root, 'docs', 'performance.md');
const only = process.argv.slice(2);

const all = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const selected = only.length ? all.filter((n) => only.includes(n)) : all;

const SECTION = /^## (\S+)\n/gm;
function previousSections(): Map<string, string> {
  const sections = new Map<string, string>();
  if (!existsSync(output)) return sections;
  const text = readFileSync(output, 'utf8');
  const marks = [...text.matchAll(SECTION)];
  marks.forEach((m, i) => {
    const end = i + 1 < marks.length ? marks[i + 1].index : text.length;
    sections.set(m[1], text.slice(m.index, end).trimEnd());
  });
  return sections;
}

const sections = previousSections();
const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node.js ${process.version}`;

for (const name of selected) {
  const file = path.join('bench', `${name}.bench.ts`);
  process.stderr.write(`running ${file} …\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60 * 1000,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const body =
    run.status === 0
      ? run.stdout.trim()
      : `**failed** (exit ${run.status ?? run.signal}); output:\n\n${run.stdout.trim()}`;
  sections.set(
    name,
    [
      `## ${name}`,
      '',
      `Command: \`node --expose-gc --import tsx ${file}\` (via \`npm run bench\`), ${new Date().toISOString().slice(0, 10)}, commit ${git}, ${seconds} s; machine: ${machine}.`,
      '',
      body,
    ].join('\n'),
  );
  process.stderr.write(`${file}: exit ${run.status}\n`);
}

const header = [
  '# Performance',
  '',
  'Written by `npm run bench` (bench/run.ts); each section by its own benchmark in `bench/`, run one at a time.',
  '',
].join('\n');
writeFileSync(output, `${header}\n${[...sections.values()].join('\n\n')}\n`);
process.stderr.write(`wrote ${path.relative(root, output)}\n`);
