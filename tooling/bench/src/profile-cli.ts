// pnpm --filter @kafka-ecs/bench profile <file.cpuprofile>… : the heaviest packages and
// functions of each profile (self time).
import { readFileSync } from 'node:fs';
import { type CpuProfile, summarizeProfile } from './profile-summary.ts';

const top = Number(process.env.TOP ?? 25);
for (const file of process.argv.slice(2)) {
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  console.log(`\n${file}: ${(summary.totalMs / 1000).toFixed(1)} s sampled`);
  console.log('  by package (self time):');
  for (const entry of summary.packages.slice(0, 12)) {
    console.log(`    ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}`);
  }
  console.log('  by function (self time):');
  for (const entry of summary.functions.slice(0, top)) {
    console.log(`    ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}`);
  }
}
