import { describe, expect, test } from 'bun:test'
import { shaCrypt, verifyShaCrypt } from '../../lib/auth/htpasswd/sha-crypt'

// The vectors published with the specification (https://www.akkadia.org/drepper/SHA-crypt.txt),
// cross-checked with glibc's crypt(3) and `openssl passwd -5/-6`.
const VECTORS: [setting: string, password: string, expected: string][] = [
  ['$5$saltstring', 'Hello world!', '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'],
  [
    '$5$rounds=10000$saltstringsaltstring',
    'Hello world!',
    '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA',
  ],
  [
    '$5$rounds=5000$toolongsaltstring',
    'This is just a test',
    '$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5',
  ],
  [
    '$5$rounds=1400$anotherlongsaltstring',
    'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    '$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1',
  ],
  [
    '$5$rounds=77777$short',
    'we have a short salt string but not a short password',
    '$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/',
  ],
  [
    '$5$rounds=123456$asaltof16chars..',
    'a short string',
    '$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD',
  ],
  [
    '$5$rounds=10$roundstoolow',
    'the minimum number is still observed',
    '$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC',
  ],
  [
    '$6$saltstring',
    'Hello world!',
    '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  ],
  [
    '$6$rounds=10000$saltstringsaltstring',
    'Hello world!',
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  ],
  [
    '$6$rounds=5000$toolongsaltstring',
    'This is just a test',
    '$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0',
  ],
  [
    '$6$rounds=1400$anotherlongsaltstring',
    'a very much longer text to encrypt.  This one even stretches over morethan one line.',
    '$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1',
  ],
  [
    '$6$rounds=77777$short',
    'we have a short salt string but not a short password',
    '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0',
  ],
  [
    '$6$rounds=123456$asaltof16chars..',
    'a short string',
    '$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1',
  ],
  [
    '$6$rounds=10$roundstoolow',
    'the minimum number is still observed',
    '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.',
  ],
  // Edge cases from glibc: an empty password, and one longer than the digest.
  ['$5$rounds=1000$x', '', '$5$rounds=1000$x$kIBhdUvT3pHpfTjzR8s1XJu3y/HRJeFxMSffBtF8jx9'],
  [
    '$6$abc',
    'x'.repeat(100),
    '$6$abc$hJifFvspkMHRMTXYpDbrug4nrXgZmPzTx/f9.5eCxJlDdjBTMZHgOVcLnSdECLAAJM9qZtSos/rWPoZcqcKDx0',
  ],
]

describe('SHA-crypt', () => {
  test.each(VECTORS)('%s', async (setting, password, expected) => {
    expect(await shaCrypt(password, setting)).toBe(expected)
  })

  test('a stored hash is its own setting', async () => {
    for (const [, password, expected] of VECTORS) {
      expect(await verifyShaCrypt(password, expected)).toBe(true)
      expect(await verifyShaCrypt(`${password}!`, expected)).toBe(false)
    }
  })

  test('htpasswd -5 output verifies', async () => {
    const hash =
      '$6$xKIQIsWWODzhqB4.$7sWhhIZBIkBYbuynd12NRiSIgKUsGuemx9DC4MRZvjRfowvXhXdzi.eSjlmLK6X0AXkhAYaKG3JiAWdWhnX.q0'
    expect(await verifyShaCrypt('pw', hash)).toBe(true)
    expect(await verifyShaCrypt('PW', hash)).toBe(false)
  })

  test('anything else is refused', async () => {
    await expect(shaCrypt('x', '$1$salt$hash')).rejects.toThrow()
    await expect(shaCrypt('x', '$2y$05$abc')).rejects.toThrow()
  })

  test('many rounds do not hold up the event loop', async () => {
    let longestGap = 0
    let last = performance.now()
    const timer = setInterval(() => {
      longestGap = Math.max(longestGap, performance.now() - last)
      last = performance.now()
    }, 1)
    try {
      await shaCrypt('pw', '$6$rounds=200000$salt')
    } finally {
      clearInterval(timer)
    }
    // 200,000 rounds take ~170 ms here; slices of 1000 rounds about 1 ms.
    expect(longestGap).toBeLessThan(50)
  })
})
