// Byte tests both ways against the real kernel (Linux 6.1, e2e VM) and the real ipvsadm 1.31 / libnl 3.7,
// on every message of every fixture in test/fixtures/captured/ipvs (see CAPTURED.md there):
//   requests: decodeIpvsRequest(raw) -> our builder -> bytes === raw
//   replies:  decode(raw) -> our kernel-side encoder -> bytes === raw
// plus the GETFAMILY exchange each fixture starts with. What each decoded value must be is checked in
// captured-values.test.ts.
import { expect } from 'chai';
import { encodeMessage, encodeMessages } from '../../../native-free-netlink/core/message.js';
import { decodeFamily, encodeGetFamily, GENL_ID_CTRL } from '../../../native-free-netlink/genetlink/ctrl.js';
import { decodeIpvsRequest } from '../../../native-free-netlink/ipvs/index.js';
import { answers, fixtureNames, ipvsRequests, loadFixture, rebuildReply, rebuildRequest, requests, type Fixture } from './fixtures.js';

const names = fixtureNames();

function familyIdOf(f: Fixture): number {
  const reply = f.datagrams.find((d) => d.direction === 'reply' && d.messages[0]!.type === GENL_ID_CTRL);
  if (!reply) throw new Error(`${f.name}: no GETFAMILY reply`);
  return decodeFamily(reply.messages[0]!).id;
}

describe('ipvs captured fixtures: both ways, every message', () => {
  it('there are fixtures', () => {
    expect(names.length).to.be.greaterThan(40);
  });

  for (const name of names) {
    describe(name, () => {
      const f = loadFixture(name);
      const familyId = familyIdOf(f);

      it('is complete: starts with a request, ends with a reply', () => {
        expect(f.kernel).to.match(/^6\.1\./);
        expect(f.datagrams[0]!.direction).to.equal('request');
        expect(f.datagrams[f.datagrams.length - 1]!.direction).to.equal('reply');
      });

      it('GETFAMILY "IPVS": our request bytes, and the family the kernel names', () => {
        const gets = requests(f).filter((m) => m.type === GENL_ID_CTRL);
        expect(gets.length).to.be.greaterThan(0);
        for (const m of gets) expect(encodeMessage(encodeGetFamily('IPVS', m.seq, m.pid))).to.deep.equal(encodeMessage(m));
        for (const d of f.datagrams.filter((x) => x.direction === 'reply' && x.messages[0]!.type === GENL_ID_CTRL)) {
          const fam = decodeFamily(d.messages[0]!);
          expect([fam.name, fam.id, fam.version]).to.deep.equal(['IPVS', familyId, 1]);
        }
      });

      it('every IPVS request: decode, re-encode with our builder, same bytes', () => {
        for (const m of ipvsRequests(f)) {
          const r = decodeIpvsRequest(m);
          expect(encodeMessage(rebuildRequest(familyId, m, r)), `cmd ${r.cmd} seq ${m.seq}`).to.deep.equal(encodeMessage(m));
        }
      });

      it('every reply datagram: decode, re-encode with our kernel-side encoder, same bytes', () => {
        const reqs = requests(f);
        let checked = 0;
        for (const d of f.datagrams.filter((x) => x.direction === 'reply' && x.messages[0]!.type !== GENL_ID_CTRL)) {
          const rebuilt = d.messages.map((m) => rebuildReply(familyId, m, reqs.find((q) => answers(m, q))));
          // Error acks echo the whole request: decoded elsewhere, not re-encoded.
          if (rebuilt.some((m) => m === undefined)) continue;
          expect(encodeMessages(rebuilt as NonNullable<(typeof rebuilt)[number]>[])).to.deep.equal(d.bytes);
          checked++;
        }
        expect(checked).to.be.greaterThan(0);
      });
    });
  }
});
