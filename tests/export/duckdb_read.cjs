// Reads an NDJSON export with DuckDB's read_json (the issue's "readable by
// DuckDB"): prints {"rows": N, "types": {TYPE: count}} as one JSON line.
// usage: node duckdb_read.cjs FILE.ndjson
// @duckdb/node-api comes from the npm registry: scripts/setup.sh installs it
// into tests/export/node_modules (not committed).
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const file = process.argv[2].replace(/'/g, "''");
  const src = `read_json('${file}', format = 'newline_delimited', ` +
              `sample_size = -1, union_by_name = true, ` +
              `map_inference_threshold = -1)`;
  const rows = (await con.runAndReadAll(`select count(*)::bigint as n from ${src}`))
    .getRowObjectsJson()[0].n;
  const types = {};
  for (const r of (await con.runAndReadAll(
      `select type, count(*)::bigint as n from ${src} group by type`)).getRowObjectsJson())
    types[r.type] = Number(r.n);
  console.log(JSON.stringify({ rows: Number(rows), types }));
}

main().catch((e) => { console.error(String(e)); process.exit(1); });
