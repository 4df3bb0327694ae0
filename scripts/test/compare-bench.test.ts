import { contenders } from '../bench/compare-bench';

/** The micro-benchmark times what its names say: each comparison finds exactly the difference it plants. */
test('each comparison contender judges what its name says', () => {
  const verdicts = new Map(contenders().map((c) => [c.name, c.run() as { outcome?: string; mismatches?: string[] }]));
  for (const [name, verdict] of verdicts) {
    if (name.startsWith('JSON.parse')) continue;
    if (name.includes('identical')) expect([name, verdict.outcome, verdict.mismatches]).toEqual([name, 'match', []]);
    else expect([name, verdict.outcome, verdict.mismatches?.length]).toEqual([name, 'mismatch', 1]);
  }
  expect(verdicts.get('HTML 200 KB, one price differs')?.mismatches).toEqual(['html.body.main(#catalogue).ul(.products).li[279](.card.product).p[2].span(.amount.price): text']);
  expect(verdicts.get('JSON 200 KB, one price differs')?.mismatches).toEqual(['body.products[0].price.amount']);
  expect(contenders().every((c) => c.bytes > 190_000 && c.bytes < 260_000)).toBe(true);
});
