// Times @openfeature/flagd-core (flagd's own JavaScript evaluator) on the flags and contexts
// ripcord's bench uses, and prints what it found as one JSON line: nanoseconds per
// evaluation and how often each flag resolved to each variant (to check both agree).
//   node flagd-core.mjs FLAGS.json CONTEXTS.json PASSES
import { readFileSync } from 'node:fs';
import { FlagdCore } from '@openfeature/flagd-core';

const [flagsPath, contextsPath, passesArg] = process.argv.slice(2);
const passes = Math.max(1, Number(passesArg ?? 5));
const flagsText = readFileSync(flagsPath, 'utf8');
const contexts = JSON.parse(readFileSync(contextsPath, 'utf8'));
const silent = { error() {}, warn() {}, info() {}, debug() {} };
const core = new FlagdCore(undefined, silent);
core.setConfigurations(flagsText);

const kinds = { boolean: 'boolean', string: 'string', number: 'number', object: 'object' };
const flags = Object.entries(JSON.parse(flagsText).flags).map(([key, flag]) => {
  const sample = flag.variants[flag.defaultVariant] ?? Object.values(flag.variants)[0];
  const type = kinds[typeof sample] ?? 'object';
  const fallback = { boolean: false, string: '', number: 0, object: {} }[type];
  return { key, type, fallback };
});

function pass(counts) {
  for (const ctx of contexts) {
    for (const f of flags) {
      const r = core.resolve(f.type, f.key, f.fallback, ctx, silent);
      if (counts) {
        const label = r.variant ?? `(${r.reason})`;
        const byFlag = (counts[f.key] ??= {});
        byFlag[label] = (byFlag[label] ?? 0) + 1;
      }
    }
  }
}

const counts = {};
pass(counts); // also the warm-up
const times = [];
for (let i = 0; i < passes; i++) {
  const start = process.hrtime.bigint();
  pass(null);
  times.push(Number(process.hrtime.bigint() - start));
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const evaluations = contexts.length * flags.length;
console.log(JSON.stringify({ ns_per_eval: median / evaluations, evaluations, counts }));
