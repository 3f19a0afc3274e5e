import { measured, whyMissing, type Cell, type Results } from './report';
import type { Summary } from './stats';

const num = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
const pcts = (s: Summary | null | undefined) => (s ? `${num(s.p50)} / ${num(s.p95)} / ${num(s.p99)}` : '–');

function row(cells: string[], widths: number[]): string {
  if (cells.length < widths.length)
    return `${cells[0].padEnd(widths[0])}  ${cells[1].padEnd(widths[1])}${cells[2] ?? ''}`;
  return cells
    .map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
    .join('  ')
    .trimEnd();
}

function cellRow(c: number, name: string, cell: Cell): string[] {
  const m = measured(cell);
  if (!m) return [String(c), name, 'skipped' in cell ? `  (${cell.skipped})` : ''];
  return [
    String(c),
    name,
    pcts(m.ttftMs),
    pcts(m.ttftWithThreadMs),
    m.tokensPerSecond === null ? '–' : String(m.tokensPerSecond),
    num(m.cpuMsPerAnswer, 2),
    num(m.cpuMsPerToken, 3),
    num(m.peakRssKb / 1024, 0),
    `${m.failed}/${m.answers}`,
  ];
}

/** The human-readable report: one block per model pace, then the MCP parts and the targets. */
export function printTable(results: Results, log: (line: string) => void): void {
  const head = [
    'C',
    'target',
    'TTFT p50/p95/p99 ms',
    '+thread p50/p95/p99 ms',
    'tokens/s',
    'CPU ms/ans',
    'CPU ms/tok',
    'peak RSS MB',
    'failed',
  ];
  const widths = [4, 6, 26, 26, 9, 10, 10, 11, 8];
  const paces = [...new Set(results.scenarios.map((s) => `${s.tokens}:${s.delayMs}`))];
  for (const pace of paces) {
    const [tokens, delay] = pace.split(':');
    log('');
    log(`— ${tokens} tokens per answer, ${delay} ms per token —`);
    log(row(head, widths));
    for (const s of results.scenarios.filter((x) => `${x.tokens}:${x.delayMs}` === pace)) {
      log(row(cellRow(s.concurrency, 'floor', s.floor), widths));
      log(row(cellRow(s.concurrency, 'ours', s.ours), widths));
      log(row(cellRow(s.concurrency, 'peer', s.peer), widths));
      const c = s.comparison;
      log(
        `      overhead over floor p50/p95/p99: ${num(c.overheadMs.p50)} / ${num(c.overheadMs.p95)} / ${num(c.overheadMs.p99)} ms` +
          ` (with thread: ${num(c.overheadWithThreadMs.p50)} / ${num(c.overheadWithThreadMs.p95)} / ${num(c.overheadWithThreadMs.p99)} ms)`,
      );
      log(
        `      ours/peer: TTFT p50 ${num(c.oursOverPeerTtftP50, 3)}, TTFT+thread p95 ${num(c.oursOverPeerTtftWithThreadP95, 3)},` +
          ` tokens/s ${num(c.oursOverPeerTokensPerSecond, 2)}, CPU/answer ${num(c.oursOverPeerCpuPerAnswer, 3)}, peak RSS ${num(c.oursOverPeerPeakRss, 2)}`,
      );
      const first = (['floor', 'ours', 'peer'] as const).flatMap((name) => {
        const f = measured(s[name])?.firstWave;
        if (!f) return [];
        const thread =
          name === 'floor'
            ? ''
            : `, +thread ${num(f.ttftWithThreadMs?.p50)} / ${num(f.ttftWithThreadMs?.p99)}`;
        return [
          `${name} ${num(f.ttftMs?.p50)} / ${num(f.ttftMs?.p99)}${thread}${f.failed ? ` (${f.failed} failed)` : ''}`,
        ];
      });
      if (first.length > 0) log(`      first wave, not counted, TTFT p50 / p99 ms: ${first.join('; ')}`);
      const redis = measured(s.ours)?.redisCommandsPerAnswer;
      if (redis) {
        const top = Object.entries(redis.byCommand).slice(0, 8);
        log(
          `      ours: ${redis.total} Redis commands per answer (${top.map(([k, v]) => `${k} ${v}`).join(', ')})`,
        );
      }
      for (const name of ['floor', 'ours', 'peer'] as const) {
        for (const e of measured(s[name])?.errors ?? []) log(`      ${name} error: ${e}`);
      }
    }
  }
  log('');
  const idle = results.idleStreams;
  if (idle && 'rssPerStreamKb' in idle) {
    const mb = idle.rssKb.map((kb) => num(kb / 1024)).join(' → ');
    log(
      `idle streams (fresh instance, 2 steps of ${idle.perStep}): ${idle.open.join(' then ')} open, VmRSS ${mb} MB, ` +
        `${num(idle.rssPerStreamKb)} KB per stream (step 2; step 1 with one-time costs: ${num(idle.firstStepPerStreamKb)} KB)`,
    );
    if (idle.settledRssKb !== null) {
      log(
        `  left idle ${idle.settleS} s before each step and after the last: VmRSS ${num(idle.step2BaseKb / 1024)} MB before ` +
          `step 2, ${num(idle.settledRssKb / 1024)} MB after it, ${num(idle.settledPerStreamKb)} KB per stream`,
      );
    }
  } else if (idle) log(`idle streams (ours): ${whyMissing(idle)}`);
  const lt = results.listTools;
  if (lt && 'warmMs' in lt) {
    log(
      `list-tools (server-everything, ${lt.tools} tools) p50/p95/p99 ms: cold ${pcts(lt.coldMs)}, ` +
        `refresh ${pcts(lt.refreshMs)}, warm ${pcts(lt.warmMs)}`,
    );
  } else if (lt) log(`list-tools: not available (${whyMissing(lt)})`);
  const cb = results.oauthCallback;
  if (cb && 'deliveryMs' in cb) {
    log(
      `OAuth callback (${cb.iterations} flows) p50/p95/p99 ms: published on Redis → waiter on A ${pcts(cb.deliveryMs)}` +
        ` (${cb.heardBeforeSubscriber} heard on A first, left out); ` +
        `callback sent to B → waiter on A ${pcts(cb.endToEndMs)}; callback request on B ${pcts(cb.callbackMs)}`,
    );
  } else if (cb) log(`OAuth callback: not available (${whyMissing(cb)})`);
  for (const e of [...(lt && 'errors' in lt ? lt.errors : []), ...(cb && 'errors' in cb ? cb.errors : [])]) {
    log(`      error: ${e}`);
  }
  const layers = results.layers;
  if (Array.isArray(layers)) {
    log(
      `CPU per answer by layer, in process (${layers[0]?.concurrency ?? '–'} answers at a time, no model delay);` +
        ` to the first token, one answer at a time: CPU mean / p50, wall p50:`,
    );
    for (const l of layers) {
      // Noise can put a layer under the one below it: "(-0.3)", not "(+-0.3)".
      const added = l.addedCpuMs === null ? '' : ` (${l.addedCpuMs < 0 ? '' : '+'}${num(l.addedCpuMs)})`;
      const first = `${num(l.cpuMsToFirstToken)} / ${num(l.cpuMsToFirstTokenP50)}, ${num(l.wallMsToFirstTokenP50)} ms`;
      log(
        `  ${l.layer.padEnd(18)} ${num(l.cpuMsPerAnswer).padStart(7)} ms${added.padEnd(10)} ${first.padEnd(22)} ${l.what}`,
      );
    }
    const service = results.scenarios
      .filter((s) => s.delayMs === 0 && s.concurrency > 1)
      .map((s) => ({ c: s.concurrency, cpu: measured(s.ours)?.cpuMsPerAnswer }))
      .find((s) => s.cpu !== undefined && s.cpu !== null);
    const turn = layers[layers.length - 1];
    if (service?.cpu && turn) {
      log(
        `  the service at C=${service.c}: ${num(service.cpu)} ms per answer, i.e. +${num(service.cpu - turn.cpuMsPerAnswer)} ms ` +
          `over the turn (HTTP, thread, run lock, run log, SSE)`,
      );
    }
  } else if (layers) log(`layers: not available (${whyMissing(layers)})`);
  const history = results.history;
  if (Array.isArray(history)) {
    log(
      `long threads, in process (the turn layer, one answer at a time on ${history[0]?.threads ?? '–'} threads): ` +
        'checkpoints kept, turns already in the thread → CPU and wall ms per answer, Redis KB per thread after ' +
        'them, and latest / all:',
    );
    for (const h of history) {
      const all =
        h.keep === 'latest'
          ? history.find((a) => a.keep === 'all' && a.turnsBefore === h.turnsBefore)
          : undefined;
      const ratios = all
        ? `  (${num(h.cpuMsPerAnswer / all.cpuMsPerAnswer, 2)} CPU, ${num(h.redisKbPerThread / all.redisKbPerThread, 3)} Redis)`
        : '';
      log(
        `  ${h.keep.padEnd(6)} ${String(h.turnsBefore).padStart(5)} turns  ${num(h.cpuMsPerAnswer).padStart(7)} ms CPU  ` +
          `${num(h.wallMsPerAnswer).padStart(7)} ms  ${num(h.redisKbPerThread, 0).padStart(8)} KB${ratios}`,
      );
    }
  } else if (history) log(`long threads: not available (${whyMissing(history)})`);
  const held = results.heldLayers;
  if (Array.isArray(held)) {
    log(
      `memory per answer held open before its first chunk, by layer, in process (2 steps of ${held[0]?.perStep ?? '–'}; ` +
        'VmRSS and V8 heap in use, after full collections):',
    );
    for (const l of held) {
      log(
        `  ${l.layer.padEnd(18)} ${num(l.rssPerAnswerKb).padStart(7)} KB  ${num(l.heapPerAnswerKb).padStart(7)} KB heap` +
          `  (${l.open.join(' then ')} open, VmRSS ${l.rssKb.map((kb) => num(kb / 1024)).join(' → ')} MB)`,
      );
    }
  } else if (held) log(`memory per held answer by layer: not available (${whyMissing(held)})`);
  if (!results.peer.available) log(`peer: not available (${results.peer.reason ?? ''})`);
  if (results.profile) {
    log('');
    log(`CPU profile of ours: ${results.profile.file} (${results.profile.busyMs} ms busy); top self time:`);
    for (const f of results.profile.top.slice(0, 15)) {
      log(`${num(f.selfMs).padStart(9)} ms ${num(f.selfPercent).padStart(5)} %  ${f.frame}`);
    }
  }
  const m = results.machine;
  log('');
  log(
    `machine: ${String(m.cpus)} CPUs, node ${String(m.node)}, load average ${JSON.stringify(m.loadAverageAtStart)} → ${JSON.stringify(m.loadAverageAtEnd)}`,
  );
  log('targets (issue 7):');
  for (const t of results.targets) {
    const verdict = t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met';
    log(`  ${verdict.padEnd(12)} ${t.name}: ${num(t.value, 2)} ${t.unit} (goal ${t.goal}; ${t.where})`);
  }
  printBounds(results.stackBounds, log);
}

/** The bounds the layers imply, next to the targets they put out of reach and ours' figures. */
function printBounds(bounds: Results['stackBounds'], log: (line: string) => void): void {
  if (!bounds || 'notMeasured' in bounds) {
    log(`bounds implied by the stack: not measured${bounds ? ` (${bounds.notMeasured})` : ''}`);
    return;
  }
  const any = 'for any LangGraph+ChatOpenAI service on this machine';
  log(
    `bounds implied by the stack (the layers of this run; ${bounds.cpus} CPUs all busy with the runs, ` +
      `nothing else running, which is generous; see bench/README.md):`,
  );
  for (const t of bounds.ttft) {
    log(
      `  TTFT at C=${t.concurrency} ≥ ${num(t.p99AtLeastMs)} ms p99, ≥ ${num(t.p50AtLeastMs)} ms p50 ${any} ` +
        `(${t.layer}: ${num(t.cpuMsToFirstToken, 2)} ms CPU before the first token, runs one at a time)`,
    );
    const target =
      t.concurrency === 200 ? ' (target: p99 ≤ 500)' : t.concurrency === 1 ? ' (target: p50 ≤ 10)' : '';
    for (const c of t.cells) {
      log(
        `      ${c.delayMs} ms/token, counted from the users' start: overhead over the floor ≥ ` +
          `${num(c.overheadP99AtLeastMs)} ms p99, ≥ ${num(c.overheadP50AtLeastMs)} ms p50${target}; ` +
          `ours (from thread creation) ${num(c.oursP99Ms)} ms p99 ` +
          `(${num(c.oursP99OverBound, 2)}× the bound), ${num(c.oursP50Ms)} ms p50 (${num(c.oursP50OverBound, 2)}×)`,
      );
    }
  }
  const tps = (v: number) => v.toLocaleString('en-US');
  for (const l of bounds.tokensPerSecond) {
    const who = l.layer === 'graph+checkpoints' ? any : `with the ${l.layer} layer alone, no graph`;
    log(
      `  tokens/s ≤ ${tps(l.tokensPerSecondAtMost)} ${who} (${l.layer}: ${num(l.cpuMsPerAnswer, 2)} ms CPU per ` +
        `${l.tokensPerAnswer}-token answer) (target ≥ 10,000 with ≤ 5 ms CPU per answer); ` +
        `${l.where}: ${l.ours ?? '–'} tokens/s, ${num(l.oursOverBound, 3)} of the bound`,
    );
  }
  const rss = bounds.rssPerStream;
  if ('notMeasured' in rss) log(`  RSS per open stream: no bound (${rss.notMeasured})`);
  else {
    log(
      `  RSS per open stream ≥ ${num(rss.rssPerAnswerKb)} KB ${any} (${rss.layer}: per answer held open in ` +
        `process, after full collections) (target ≤ 200 KB); ours ${num(rss.ours)} KB per idle stream, settled ` +
        `(${num(rss.oursOverBound, 2)}× the bound)`,
    );
  }
}
