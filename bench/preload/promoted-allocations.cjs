// Where a service's promoted memory is allocated: a sampling heap profile of only the objects that
// survived a young-generation GC (those the scavenger collected are left out), which is what costs
// scavenges and fills the old generation. Node's --heap-prof cannot say it: it keeps live objects only.
// Load it into a service of the pipeline benchmark, e.g.
//   node bench/dist/pipeline-bench.js --quick --steady 30 --steady-only \
//     --node-arg ingest:--require=$PWD/bench/preload/promoted-allocations.cjs
// It samples from 20 to 40 seconds after the process starts (inside the steady window of the command
// above), then writes promoted-<pid>.heapprofile into the OS's temporary directory, which Chrome
// DevTools opens (Memory, Load profile). CommonJS, so that --require takes it.
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const FROM_S = 20;
const UNTIL_S = 40;
const session = new inspector.Session();
session.connect();
session.post('HeapProfiler.enable');
setTimeout(() => {
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: false,
  });
}, FROM_S * 1000).unref();
setTimeout(() => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) return void console.error('promoted-allocations:', error.message);
    const file = path.join(os.tmpdir(), `promoted-${process.pid}.heapprofile`);
    fs.writeFileSync(file, JSON.stringify(result.profile));
    console.error(`promoted-allocations: wrote ${file}`);
  });
}, UNTIL_S * 1000).unref();
