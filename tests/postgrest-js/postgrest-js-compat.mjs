// PostgREST's official JavaScript client (@supabase/postgrest-js, pinned in
// package.json) against the real aiodata server.
//
//   node postgrest-js-compat.mjs <baseUrl>/query <token for role "auth">
//
// Run by tst_postgrestjs, which starts the server on a fresh database with
// examples/pets.sql plus this data (names are unique, so a name stands for
// its row below):
//
//   api.pets:     Munch Dog/Shiba Inu 16766362 false, Rex Dog/Shiba Inu null true,
//                 Fifi Dog/Poodle 16777215 false, Tom Cat/Tabby 8421504 true,
//                 Luna Cat/Siamese 0 null, Aqui Fish/Koi 16753920 false
//   archive.pets: Yeller Dog/Mutt null true           (db-schemas = "api, archive")
//
// Every check prints "ok <n> - <name>" or "not ok <n> - <name>" with what
// differed (and the HTTP exchange behind it); the exit code is the number of
// failed checks (capped at 100), 2 for bad usage.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

import { PostgrestClient } from '@supabase/postgrest-js'

const [url, token] = process.argv.slice(2)
if (!url || !token) {
  console.error('usage: node postgrest-js-compat.mjs <baseUrl>/query <token>')
  process.exit(2)
}
// (its package.json is not exported: read the installed one next to this script)
const { version } = JSON.parse(
  readFileSync(new URL('./node_modules/@supabase/postgrest-js/package.json', import.meta.url), 'utf8')
)
console.log(`# @supabase/postgrest-js ${version}, node ${process.version}, ${url}`)

// Every exchange, so checks can assert what went over the wire.
const exchanges = []
const recordingFetch = async (input, init = {}) => {
  const response = await fetch(input, init)
  exchanges.push({
    method: init.method ?? 'GET',
    url: String(input),
    request: new Headers(init.headers),
    body: init.body,
    status: response.status,
    response: response.headers,
  })
  return response
}
const last = () => exchanges[exchanges.length - 1]
const describe = (e) =>
  e
    ? `${e.method} ${e.url}\n    request: ${JSON.stringify(Object.fromEntries(e.request))}` +
      (e.body === undefined ? '' : `\n    body: ${e.body}`) +
      `\n    answer: ${e.status} ${JSON.stringify(Object.fromEntries(e.response))}`
    : '(no HTTP exchange)'

const client = new PostgrestClient(url, {
  headers: { Authorization: `Bearer ${token}` },
  schema: 'api',
  fetch: recordingFetch,
})
const anonymous = new PostgrestClient(url, { schema: 'api', fetch: recordingFetch })

let n = 0
let failed = 0
async function check(name, body) {
  ++n
  const before = exchanges.length
  try {
    await body()
    console.log(`ok ${n} - ${name}`)
  } catch (e) {
    ++failed
    console.log(`not ok ${n} - ${name}`)
    for (const line of String(e?.stack ?? e).split('\n')) console.log(`  # ${line}`)
    for (const x of exchanges.slice(before)) console.log(`  # ${describe(x)}`)
  }
}

// --- helpers ----------------------------------------------------------------

const byName = (rows) => [...rows].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
const names = (rows) => rows.map((r) => r.name)
const sortedNames = (rows) => names(rows).sort()

// A successful answer: no error, the expected status.
function ok(result, status = 200) {
  assert.equal(result.error, null, `unexpected error ${JSON.stringify(result.error)}`)
  assert.equal(result.status, status, `status ${result.status}, expected ${status}`)
  return result.data
}

// An error answer in PostgREST's shape { code, message, details, hint }.
function fails(result, code, status) {
  assert.equal(result.data, null, `expected no data, got ${JSON.stringify(result.data)}`)
  assert.ok(result.error, `expected error ${code}, got data ${JSON.stringify(result.data)}`)
  assert.equal(result.error.code, code, `error ${JSON.stringify(result.error)}`)
  assert.equal(typeof result.error.message, 'string')
  assert.ok(result.error.message.length > 0, 'empty error message')
  assert.ok('details' in result.error && 'hint' in result.error, `error lacks details/hint: ${JSON.stringify(result.error)}`)
  if (status !== undefined) assert.equal(result.status, status, `status ${result.status}, expected ${status}`)
  return result.error
}

function contentTypeIsJson(exchange) {
  const type = exchange.response.get('content-type') ?? ''
  assert.match(type, /^application\/(json|vnd\.pgrst\.object\+json)\b/, `Content-Type "${type}"`)
}

function prefer(exchange) {
  return (exchange.request.get('prefer') ?? '').split(',').map((p) => p.trim()).filter(Boolean)
}

const pet = (name, type, breed, color, groomed) => ({ type, breed, name, color, groomed })
const INITIAL = byName([
  pet('Munch', 'Dog', 'Shiba Inu', 16766362, false),
  pet('Rex', 'Dog', 'Shiba Inu', null, true),
  pet('Fifi', 'Dog', 'Poodle', 16777215, false),
  pet('Tom', 'Cat', 'Tabby', 8421504, true),
  pet('Luna', 'Cat', 'Siamese', 0, null),
  pet('Aqui', 'Fish', 'Koi', 16753920, false),
])

const allPets = async (c = client, schema) => {
  const from = schema ? c.schema(schema) : c
  return byName(ok(await from.from('pets').select()))
}

// --- reads ------------------------------------------------------------------

await check('select all', async () => {
  const r = await client.from('pets').select()
  assert.deepEqual(byName(ok(r)), INITIAL)
  assert.equal(last().request.get('accept-profile'), 'api')
  contentTypeIsJson(last())
})

await check('select all with "*" and the default schema (no schema option)', async () => {
  const plain = new PostgrestClient(url, { headers: { Authorization: `Bearer ${token}` }, fetch: recordingFetch })
  assert.deepEqual(byName(ok(await plain.from('pets').select('*'))), INITIAL)
  assert.equal(last().request.get('accept-profile'), null)
})

await check('select columns', async () => {
  const data = ok(await client.from('pets').select('name, color').eq('name', 'Munch'))
  assert.deepEqual(data, [{ name: 'Munch', color: 16766362 }])
  assert.deepEqual(Object.keys(data[0]), ['name', 'color'])
})

await check('select columns with an alias', async () => {
  const data = ok(await client.from('pets').select('petName:name,type').eq('name', 'Tom'))
  assert.deepEqual(data, [{ petName: 'Tom', type: 'Cat' }])
})

const filters = [
  ['eq', (q) => q.eq('type', 'Dog'), ['Fifi', 'Munch', 'Rex']],
  ['eq with a space in the value', (q) => q.eq('breed', 'Shiba Inu'), ['Munch', 'Rex']],
  ['eq on a number', (q) => q.eq('color', 0), ['Luna']],
  ['neq', (q) => q.neq('type', 'Dog'), ['Aqui', 'Luna', 'Tom']],
  ['gt', (q) => q.gt('color', 16766362), ['Fifi']],
  ['gte', (q) => q.gte('color', 16766362), ['Fifi', 'Munch']],
  ['lt', (q) => q.lt('color', 8421505), ['Luna', 'Tom']],
  ['lte', (q) => q.lte('color', 0), ['Luna']],
  ['like', (q) => q.like('breed', 'Shiba%'), ['Munch', 'Rex']],
  ['like is case sensitive', (q) => q.like('name', 'm%'), []],
  ['ilike', (q) => q.ilike('name', 'm%'), ['Munch']],
  ['ilike with * wildcards', (q) => q.ilike('breed', '*I*'), ['Aqui', 'Luna', 'Munch', 'Rex']],
  ['is null', (q) => q.is('color', null), ['Rex']],
  ['is true', (q) => q.is('groomed', true), ['Rex', 'Tom']],
  ['is false', (q) => q.is('groomed', false), ['Aqui', 'Fifi', 'Munch']],
  ['in', (q) => q.in('name', ['Tom', 'Aqui', 'Nobody']), ['Aqui', 'Tom']],
  ['in with a space and a comma', (q) => q.in('breed', ['Shiba Inu', 'Koi', 'a,b']), ['Aqui', 'Munch', 'Rex']],
  ['in with numbers', (q) => q.in('color', [0, 8421504]), ['Luna', 'Tom']],
  ['not is null', (q) => q.not('color', 'is', null), ['Aqui', 'Fifi', 'Luna', 'Munch', 'Tom']],
  ['not in', (q) => q.not('type', 'in', '(Dog,Cat)'), ['Aqui']],
  ['filter (generic)', (q) => q.filter('name', 'eq', 'Fifi'), ['Fifi']],
  ['match', (q) => q.match({ type: 'Dog', breed: 'Shiba Inu' }), ['Munch', 'Rex']],
  ['two filters are AND', (q) => q.eq('type', 'Dog').eq('groomed', false), ['Fifi', 'Munch']],
  ['or', (q) => q.or('name.eq.Tom,name.eq.Rex'), ['Rex', 'Tom']],
  ['or with and nested', (q) => q.or('type.eq.Fish,and(type.eq.Dog,groomed.is.true)'), ['Aqui', 'Rex']],
  ['or with a quoted value', (q) => q.or('breed.eq."Shiba Inu",name.eq."a,b"'), ['Munch', 'Rex']],
  ['or and eq', (q) => q.eq('type', 'Dog').or('groomed.is.true,color.gt.16766362'), ['Fifi', 'Rex']],
  ['or with not.and nested', (q) => q.or('type.eq.Fish,not.and(type.neq.Fish,groomed.is.false)'),
    ['Aqui', 'Luna', 'Rex', 'Tom']],
]
for (const [name, apply, expected] of filters) {
  await check(`filter: ${name}`, async () => {
    assert.deepEqual(sortedNames(ok(await apply(client.from('pets').select('name')))), expected)
  })
}

await check('order + limit', async () => {
  const data = ok(await client.from('pets').select('name').order('color', { ascending: false, nullsFirst: false }).limit(2))
  assert.deepEqual(names(data), ['Fifi', 'Munch'])
})

await check('order by two columns', async () => {
  const data = ok(await client.from('pets').select('name').order('type').order('name', { ascending: false }))
  assert.deepEqual(names(data), ['Tom', 'Luna', 'Rex', 'Munch', 'Fifi', 'Aqui'])
})

await check('order nulls first / last', async () => {
  assert.deepEqual(names(ok(await client.from('pets').select('name').order('color', { nullsFirst: true }).limit(1))), ['Rex'])
  assert.deepEqual(names(ok(await client.from('pets').select('name').order('color', { nullsFirst: false }))).at(-1), 'Rex')
})

await check('range(0, 1) and range(2, 3)', async () => {
  assert.deepEqual(names(ok(await client.from('pets').select('name').order('name').range(0, 1))), ['Aqui', 'Fifi'])
  assert.equal(last().response.get('content-range'), '0-1/*')
  assert.deepEqual(names(ok(await client.from('pets').select('name').order('name').range(2, 3))), ['Luna', 'Munch'])
  assert.equal(last().response.get('content-range'), '2-3/*')
})

await check('Range header (Range: 0-1, Range-Unit: items) with count=exact', async () => {
  // postgrest-js 1.x's range() sends offset/limit; PostgREST's own paging
  // header is Range, which other clients (and supabase's) use.
  const r = await client
    .from('pets')
    .select('name', { count: 'exact' })
    .order('name')
    .setHeader('Range-Unit', 'items')
    .setHeader('Range', '0-1')
  assert.deepEqual(names(ok(r, 206)), ['Aqui', 'Fifi'])
  assert.equal(r.count, 6)
  assert.equal(last().request.get('range'), '0-1')
  assert.equal(last().response.get('content-range'), '0-1/6')
})

await check('single()', async () => {
  const r = await client.from('pets').select().eq('name', 'Tom').single()
  assert.deepEqual(ok(r), pet('Tom', 'Cat', 'Tabby', 8421504, true))
  assert.equal(last().request.get('accept'), 'application/vnd.pgrst.object+json')
  contentTypeIsJson(last())
})

await check('single() with several rows is PGRST116 (406)', async () => {
  fails(await client.from('pets').select().eq('type', 'Dog').single(), 'PGRST116', 406)
})

await check('single() with no row is PGRST116 (406)', async () => {
  fails(await client.from('pets').select().eq('name', 'Nobody').single(), 'PGRST116', 406)
})

await check('maybeSingle()', async () => {
  assert.equal(ok(await client.from('pets').select().eq('name', 'Nobody').maybeSingle()), null)
  assert.equal(ok(await client.from('pets').select('name').eq('name', 'Rex').maybeSingle()).name, 'Rex')
})

await check("count: 'exact'", async () => {
  const r = await client.from('pets').select('name', { count: 'exact' })
  assert.equal(ok(r).length, 6)
  assert.equal(r.count, 6)
  assert.ok(prefer(last()).includes('count=exact'), 'Prefer: count=exact not sent')
  assert.equal(last().response.get('content-range'), '0-5/6')
})

await check("count: 'exact' with a filter and a limit (206)", async () => {
  const r = await client.from('pets').select('name', { count: 'exact' }).eq('type', 'Dog').order('name').limit(2)
  assert.deepEqual(names(ok(r, 206)), ['Fifi', 'Munch'])
  assert.equal(r.count, 3)
})

await check("count: 'exact', head: true (HEAD)", async () => {
  const r = await client.from('pets').select('*', { count: 'exact', head: true })
  assert.equal(ok(r), null)
  assert.equal(r.count, 6)
  assert.equal(last().method, 'HEAD')
})

// --- writes -----------------------------------------------------------------

await check('insert one with .select() (return=representation)', async () => {
  const r = await client.from('pets').insert({ type: 'Bird', breed: 'Parrot', name: 'Polly' }).select()
  // groomed comes from the column default
  assert.deepEqual(ok(r, 201), [pet('Polly', 'Bird', 'Parrot', null, false)])
  assert.ok(prefer(last()).includes('return=representation'), 'Prefer: return=representation not sent')
  assert.equal(last().request.get('content-profile'), 'api')
  contentTypeIsJson(last())
})

await check('insert one with .select().single()', async () => {
  const r = await client.from('pets').insert({ type: 'Bird', breed: 'Parrot', name: 'Kiwi', color: 3 }).select('name, color').single()
  assert.deepEqual(ok(r, 201), { name: 'Kiwi', color: 3 })
})

await check('insert many with .select() and count', async () => {
  const r = await client
    .from('pets')
    .insert(
      [
        { type: 'Bird', breed: 'Canary', name: 'Tweety', color: 1 },
        { type: 'Bird', breed: 'Canary', name: 'Sunny', color: 2, groomed: true },
      ],
      { count: 'exact' }
    )
    .select()
  // postgrest-js sends columns="type","breed",... for arrays.
  assert.match(decodeURIComponent(last().url), /columns="type","breed","name","color","groomed"/)
  assert.deepEqual(byName(ok(r, 201)), [pet('Sunny', 'Bird', 'Canary', 2, true), pet('Tweety', 'Bird', 'Canary', 1, null)])
  assert.equal(r.count, 2)
})

await check('insert one without .select()', async () => {
  const r = await client.from('pets').insert({ type: 'Bird', breed: 'Owl', name: 'Hedwig' })
  const data = ok(r, 201)
  // PostgREST's default is return=minimal (data null); aiodata answers rows
  // unless asked for minimal (docs/protocol.md). Either way no error.
  if (data !== null) assert.deepEqual(data, [pet('Hedwig', 'Bird', 'Owl', null, false)])
  assert.deepEqual(ok(await client.from('pets').select().eq('name', 'Hedwig')), [pet('Hedwig', 'Bird', 'Owl', null, false)])
})

await check('insert with Prefer: return=minimal', async () => {
  const r = await client.from('pets').insert({ type: 'Bird', breed: 'Owl', name: 'Errol' }).setHeader('Prefer', 'return=minimal')
  assert.equal(ok(r, 201), null)
  assert.equal(last().response.get('preference-applied'), 'return=minimal')
  assert.equal(ok(await client.from('pets').select('name').eq('name', 'Errol')).length, 1)
})

await check('insert many with Prefer: return=minimal', async () => {
  const r = await client
    .from('pets')
    .insert([
      { type: 'Bird', breed: 'Owl', name: 'Pig' },
      { type: 'Bird', breed: 'Owl', name: 'Hoot', color: 7 },
    ])
    .setHeader('Prefer', 'return=minimal')
  assert.equal(ok(r, 201), null)
  assert.deepEqual(sortedNames(ok(await client.from('pets').select('name').eq('breed', 'Owl'))), ['Errol', 'Hedwig', 'Hoot', 'Pig'])
})

await check('insert of a present key is 23505 (409) and changes nothing', async () => {
  fails(await client.from('pets').insert({ type: 'Dog', breed: 'Shiba Inu', name: 'Munch' }).select(), '23505', 409)
  assert.equal(ok(await client.from('pets').select('color').eq('name', 'Munch').single()).color, 16766362)
})

await check('update with a filter, .select()', async () => {
  const r = await client.from('pets').update({ groomed: true }).eq('type', 'Bird').eq('breed', 'Owl').select('name, groomed')
  assert.deepEqual(byName(ok(r)), byName(['Errol', 'Hedwig', 'Hoot', 'Pig'].map((name) => ({ name, groomed: true }))))
  assert.equal(last().method, 'PATCH')
  assert.equal(last().request.get('content-profile'), 'api')
  // only those rows changed
  assert.deepEqual(sortedNames(ok(await client.from('pets').select('name').is('groomed', true))),
    ['Errol', 'Hedwig', 'Hoot', 'Pig', 'Rex', 'Sunny', 'Tom'])
})

await check('update with a filter, no .select()', async () => {
  const r = await client.from('pets').update({ color: 42 }).eq('name', 'Rex')
  assert.equal(r.error, null, JSON.stringify(r.error))
  assert.ok([200, 204].includes(r.status), `status ${r.status}`)
  assert.equal(ok(await client.from('pets').select('color').eq('name', 'Rex').single()).color, 42)
})

await check('update matching nothing', async () => {
  assert.deepEqual(ok(await client.from('pets').update({ color: 1 }).eq('name', 'Nobody').select()), [])
})

await check('update with count', async () => {
  const r = await client.from('pets').update({ color: 5 }, { count: 'exact' }).eq('breed', 'Canary').select('name')
  assert.equal(ok(r).length, 2)
  assert.equal(r.count, 2)
})

await check('delete with a filter, .select()', async () => {
  const r = await client.from('pets').delete().eq('name', 'Pig').select()
  assert.deepEqual(ok(r), [pet('Pig', 'Bird', 'Owl', null, true)])
  assert.equal(last().method, 'DELETE')
  assert.deepEqual(ok(await client.from('pets').select().eq('name', 'Pig')), [])
})

await check('delete with a filter, no .select(), count', async () => {
  const r = await client.from('pets').delete({ count: 'exact' }).in('name', ['Hoot', 'Errol'])
  assert.equal(r.error, null, JSON.stringify(r.error))
  assert.ok([200, 204].includes(r.status), `status ${r.status}`)
  assert.equal(r.count, 2)
  assert.deepEqual(sortedNames(ok(await client.from('pets').select('name').eq('breed', 'Owl'))), ['Hedwig'])
})

await check('upsert one (Prefer: resolution=merge-duplicates)', async () => {
  const r = await client.from('pets').upsert({ type: 'Dog', breed: 'Shiba Inu', name: 'Munch', color: 1, groomed: true }).select()
  assert.deepEqual(ok(r, 201), [pet('Munch', 'Dog', 'Shiba Inu', 1, true)])
  assert.ok(prefer(last()).includes('resolution=merge-duplicates'), `Prefer: ${last().request.get('prefer')}`)
  const dogs = await client.from('pets').select('name', { count: 'exact', head: true }).eq('type', 'Dog')
  assert.equal(ok(dogs), null)
  assert.equal(dogs.count, 3) // merged, not added
})

await check('upsert many with onConflict: an update and an insert', async () => {
  const r = await client
    .from('pets')
    .upsert(
      [
        { type: 'Cat', breed: 'Tabby', name: 'Tom', color: 9 },
        { type: 'Cat', breed: 'Tabby', name: 'Garfield', color: 16753920 },
      ],
      { onConflict: 'type,breed,name' }
    )
    .select('name, color, groomed')
  assert.deepEqual(byName(ok(r, 201)), [
    { name: 'Garfield', color: 16753920, groomed: false },
    { name: 'Tom', color: 9, groomed: true }, // groomed was not sent: kept
  ])
  assert.equal(new URL(last().url).searchParams.get('on_conflict'), 'type,breed,name')
})

// --- schemas: Accept-Profile / Content-Profile -------------------------------

await check(".schema('archive') reads another schema (Accept-Profile)", async () => {
  assert.deepEqual(await allPets(client, 'archive'), [pet('Yeller', 'Dog', 'Mutt', null, true)])
  assert.equal(last().request.get('accept-profile'), 'archive')
})

await check(".schema('archive') writes another schema (Content-Profile)", async () => {
  const r = await client.schema('archive').from('pets').insert({ type: 'Cat', breed: 'Tabby', name: 'Felix' }).select('name')
  assert.deepEqual(ok(r, 201), [{ name: 'Felix' }])
  assert.equal(last().request.get('content-profile'), 'archive')
  assert.deepEqual(names(await allPets(client, 'archive')), ['Felix', 'Yeller'])
  assert.deepEqual(ok(await client.from('pets').select().eq('name', 'Felix')), []) // not in api
})

await check(".schema('api') explicitly", async () => {
  assert.equal((await allPets(client, 'api')).length, 12)
})

await check('an unknown schema is PGRST106 (406)', async () => {
  fails(await client.schema('nope').from('pets').select(), 'PGRST106', 406)
  assert.equal(last().request.get('accept-profile'), 'nope')
  fails(await client.schema('nope').from('pets').insert({ type: 'X', breed: 'X', name: 'X' }), 'PGRST106', 406)
  assert.equal(last().request.get('content-profile'), 'nope')
})

// --- errors -----------------------------------------------------------------

await check('an unknown column in select is 42703 (400)', async () => {
  const error = fails(await client.from('pets').select('name, nope'), '42703', 400)
  assert.match(error.message, /nope/)
  contentTypeIsJson(last())
})

await check('an unknown column in a filter is 42703 (400)', async () => {
  fails(await client.from('pets').select().eq('nope', 1), '42703', 400)
})

await check('an unknown table is PGRST205 (404)', async () => {
  fails(await client.from('nosuchtable').select(), 'PGRST205', 404)
})

await check('an unknown column in an insert is PGRST204 (400)', async () => {
  fails(await client.from('pets').insert({ type: 'X', breed: 'X', name: 'X', nope: 1 }), 'PGRST204', 400)
})

await check('a bad value is a PostgreSQL error (22P02, 400)', async () => {
  fails(await client.from('pets').select().eq('color', 'red'), '22P02', 400)
})

await check('throwOnError() throws a PostgrestError', async () => {
  await assert.rejects(
    async () => await client.from('pets').select('nope').throwOnError(),
    (e) => e.code === '42703' && typeof e.message === 'string'
  )
})

await check('a token signed with another secret is PGRST301 (401)', async () => {
  const forged = new PostgrestClient(url, {
    headers: { Authorization: `Bearer ${token.slice(0, token.lastIndexOf('.'))}.AAAA` },
    schema: 'api',
    fetch: recordingFetch,
  })
  fails(await forged.from('pets').select(), 'PGRST301', 401)
})

// --- anonymous --------------------------------------------------------------

await check('anonymous client can read', async () => {
  const data = ok(await anonymous.from('pets').select('name').eq('type', 'Dog').order('name'))
  assert.deepEqual(names(data), ['Fifi', 'Munch', 'Rex'])
  assert.equal(last().request.get('authorization'), null)
})

await check('anonymous insert fails with 42501 (401)', async () => {
  fails(await anonymous.from('pets').insert({ type: 'Dog', breed: 'Pug', name: 'Otis' }).select(), '42501', 401)
  fails(await anonymous.from('pets').insert({ type: 'Dog', breed: 'Pug', name: 'Otis' }), '42501', 401)
  assert.deepEqual(ok(await client.from('pets').select().eq('name', 'Otis')), [])
})

await check('anonymous update and delete fail with 42501 (401)', async () => {
  fails(await anonymous.from('pets').update({ color: 1 }).eq('name', 'Fifi'), '42501', 401)
  fails(await anonymous.from('pets').delete().eq('name', 'Fifi'), '42501', 401)
  assert.equal(ok(await client.from('pets').select('color').eq('name', 'Fifi').single()).color, 16777215)
})

// --- functions (rpc) ---------------------------------------------------------
// As postgrest-js's own tests call them (test/basic.ts "rpc", "rpc with get: true").

await check('rpc: a scalar function, POST', async () => {
  assert.equal(ok(await client.rpc('add', { a: 1, b: 2 })), 3)
  assert.equal(last().method, 'POST')
})

await check('rpc: a scalar function with get: true', async () => {
  assert.equal(ok(await anonymous.rpc('add', { a: 20, b: 22 }, { get: true })), 42)
  assert.equal(last().method, 'GET')
})

await check('rpc: a set of rows with select, a filter and order', async () => {
  const data = ok(await client.rpc('pets_of_type', { t: 'Fish' }).select('name').order('name'))
  assert.deepEqual(data, [{ name: 'Aqui' }])
  const none = ok(await client.rpc('pets_of_type', { t: 'Fish' }, { get: true }).neq('name', 'Aqui'))
  assert.deepEqual(none, [])
})

await check("rpc: count: 'exact' on a set", async () => {
  const result = await client.rpc('pets_of_type', { t: 'Fish' }, { count: 'exact' })
  ok(result)
  assert.equal(result.count, 1)
})

await check('rpc: a void function is 204', async () => {
  const result = await client.rpc('ret_void')
  assert.equal(result.error, null)
  assert.equal(result.status, 204)
})

await check('rpc: an unknown function is PGRST202 (404)', async () => {
  fails(await client.rpc('no_such_function', { x: 1 }), 'PGRST202', 404)
})

// --- resource embedding ---------------------------------------------------------
// The film database of PostgREST's docs (resource_embedding.rst), as
// tst_postgrestjs creates it; the answers are the docs' examples cut to it.

await check('embed: many-to-one is an object, or null', async () => {
  // docs: films?select=title,directors(id,last_name)
  const data = ok(await client.from('films').select('title, directors(id, last_name)').order('id'))
  assert.deepEqual(data, [
    { title: 'Workers Leaving The Lumière Factory In Lyon', directors: { id: 2, last_name: 'Lumière' } },
    { title: 'The Dickson Experimental Sound Film', directors: { id: 1, last_name: 'Dickson' } },
    { title: 'The Haunted Castle', directors: { id: 3, last_name: 'Méliès' } },
    { title: 'The Lighthouse', directors: null },
  ])
})

await check('embed: an alias', async () => {
  const data = ok(await client.from('films').select('title, director:directors(last_name)').eq('id', 1))
  assert.deepEqual(data, [{ title: 'Workers Leaving The Lumière Factory In Lyon', director: { last_name: 'Lumière' } }])
})

await check('embed: one-to-many is an array, with order and limit on it (referencedTable)', async () => {
  // docs: directors?select=last_name,films(title)
  const data = ok(await client.from('directors').select('last_name, films(title)').order('id'))
  assert.deepEqual(data.map((d) => d.films.length), [1, 1, 1])
  const limited = ok(await client.from('films').select('title, roles(character)').eq('id', 3)
    .order('character', { referencedTable: 'roles', ascending: false }).limit(1, { referencedTable: 'roles' }))
  assert.deepEqual(limited, [{ title: 'The Haunted Castle', roles: [{ character: 'Mephistopheles' }] }])
  assert.match(last().url, /roles\.order=character\.desc/)
})

await check('embed: many-to-many through the junction table', async () => {
  // docs: actors?select=first_name,last_name,films(title)
  const data = ok(await client.from('actors').select('first_name, last_name, films(title)').eq('id', 3))
  assert.deepEqual(data, [{ first_name: 'Willem', last_name: 'Dafoe', films: [{ title: 'The Lighthouse' }] }])
})

await check('embed: one-to-one is an object', async () => {
  // docs: films?select=title,technical_specs(camera)
  const data = ok(await client.from('films').select('title, technical_specs(camera)').eq('id', 4).single())
  assert.deepEqual(data, { title: 'The Lighthouse', technical_specs: { camera: 'Panavision Millennium XL2' } })
})

await check('embed: nested', async () => {
  const data = ok(await client.from('actors').select('roles(character, films(title, directors(last_name)))').eq('id', 1))
  assert.deepEqual(data, [{ roles: [{ character: 'Lady', films: { title: 'The Haunted Castle', directors: { last_name: 'Méliès' } } }] }])
})

await check('embed: ambiguous is PGRST201 (300), a hint picks one', async () => {
  const error = fails(await client.from('orders').select('*, addresses(*)'), 'PGRST201', 300)
  assert.deepEqual(error.details, [
    { cardinality: 'many-to-one', embedding: 'orders with addresses', relationship: 'billing using orders(billing_address_id) and addresses(id)' },
    { cardinality: 'many-to-one', embedding: 'orders with addresses', relationship: 'shipping using orders(shipping_address_id) and addresses(id)' },
  ])
  assert.equal(error.hint, "Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. Find the desired relationship in the 'details' key.")
  const data = ok(await client.from('orders')
    .select('name, billing_address:addresses!billing(name), shipping_address:addresses!shipping(name)').eq('id', 1))
  assert.deepEqual(data, [{ name: 'Personal Water Filter', billing_address: { name: '32 Glenlake Dr.' }, shipping_address: { name: '30 Glenlake Dr.' } }])
})

await check('embed: no relationship is PGRST200 (400)', async () => {
  const error = fails(await client.from('films').select('title, addresses(name)'), 'PGRST200', 400)
  assert.equal(error.message, "Could not find a relationship between 'films' and 'addresses' in the schema cache")
})

await check('embed: a filter on the embedded resource, and !inner', async () => {
  // docs "Top-level Filtering": films?select=title,actors(first_name,last_name)&actors.first_name=eq.Jehanne
  const all = ok(await client.from('films').select('title, actors(first_name)').eq('actors.first_name', 'Jehanne').order('id'))
  assert.deepEqual(all.map((f) => f.actors.length), [0, 0, 1, 0])
  const inner = ok(await client.from('films').select('title, actors!inner(first_name)').eq('actors.first_name', 'Jehanne'))
  assert.deepEqual(inner, [{ title: 'The Haunted Castle', actors: [{ first_name: 'Jehanne' }] }])
})

await check('embed: a spread', async () => {
  const data = ok(await client.from('films').select('title, ...directors(director:last_name)').eq('id', 2))
  assert.deepEqual(data, [{ title: 'The Dickson Experimental Sound Film', director: 'Dickson' }])
})

// --- the wire ---------------------------------------------------------------

await check('every answer with a body is Content-Type: application/json', async () => {
  const withBody = exchanges.filter((e) => e.method !== 'HEAD' && e.status !== 204 && e.response.get('content-length') !== '0')
  assert.ok(withBody.length > 50, `only ${withBody.length} answers with a body`)
  for (const e of withBody) {
    try {
      contentTypeIsJson(e)
    } catch (error) {
      error.message += `\n${describe(e)}`
      throw error
    }
  }
})

console.log(`1..${n}`)
if (failed) console.log(`# ${failed} of ${n} checks failed (${exchanges.length} HTTP exchanges)`)
else console.log(`# all ${n} checks passed (${exchanges.length} HTTP exchanges)`)
process.exit(Math.min(failed, 100))
