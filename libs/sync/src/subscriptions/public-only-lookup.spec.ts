import type { LookupAddress, LookupOptions } from 'node:dns';
import { isLoopbackAddress, isPublicAddress } from './public-address';
import { publicOnlyLookup, WebhookAddressRefused } from './public-only-lookup';

type Answer = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

/** Runs the lookup the way net.connect does and collects its one callback. */
function run(sut: ReturnType<typeof publicOnlyLookup>, options: LookupOptions): Promise<Answer> {
  return new Promise((resolve) =>
    sut('hooks.partner.example', options, (error, address, family) => resolve({ error, address, family })),
  );
}

const resolvesTo =
  (...addresses: string[]) =>
  () =>
    Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

describe('publicOnlyLookup', () => {
  it.each([
    [['127.0.0.1']],
    [['::1']],
    [['10.0.0.1']],
    [['169.254.169.254']],
    [['fd00::1']],
    [['100.64.0.1']],
    [['0.0.0.0']],
    // A rebinding answer mixing a public address with a private one is refused as a whole.
    [['93.184.216.34', '127.0.0.1']],
    [['2606:4700:4700::1111', '::1']],
  ])('refuses a name resolving to %j before any socket opens', async (addresses) => {
    const sut = publicOnlyLookup(resolvesTo(...addresses), isPublicAddress);
    for (const options of [{}, { all: true }, { family: 4 }] as LookupOptions[]) {
      const answer = await run(sut, options);
      expect(answer.error).toBeInstanceOf(WebhookAddressRefused);
    }
  });

  it('answers one public address, or all of them when Node asks for all (autoSelectFamily)', async () => {
    const sut = publicOnlyLookup(resolvesTo('93.184.216.34', '2606:4700:4700::1111'), isPublicAddress);
    expect(await run(sut, {})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await run(sut, { all: true })).toEqual({
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700:4700::1111', family: 6 },
      ],
      family: undefined,
    });
    expect(await run(sut, { family: 6 })).toEqual({
      error: null,
      address: '2606:4700:4700::1111',
      family: 6,
    });
  });

  it('answers ENOTFOUND for a name with no address of the family asked for', async () => {
    const sut = publicOnlyLookup(resolvesTo('93.184.216.34'), isPublicAddress);
    const answer = await run(sut, { family: 6 });
    expect(answer.error?.code).toBe('ENOTFOUND');
  });

  it('passes a resolver failure through', async () => {
    const failure: NodeJS.ErrnoException = Object.assign(new Error('dns down'), { code: 'EAI_AGAIN' });
    const sut = publicOnlyLookup(() => Promise.reject(failure), isPublicAddress);
    expect((await run(sut, {})).error).toBe(failure);
  });

  it('admits loopback only under a policy that says so, and still refuses private addresses', async () => {
    const policy = (a: string) => isPublicAddress(a) || isLoopbackAddress(a);
    expect(await run(publicOnlyLookup(resolvesTo('127.0.0.1'), policy), {})).toEqual({
      error: null,
      address: '127.0.0.1',
      family: 4,
    });
    expect((await run(publicOnlyLookup(resolvesTo('10.0.0.1'), policy), {})).error).toBeInstanceOf(
      WebhookAddressRefused,
    );
  });
});
