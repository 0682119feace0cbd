// formatIpv4EntryData: the text of a listed member read straight from its IPSET_ATTR_DATA bytes must be
// exactly what the general path (decodeAttributes -> decodeEntryAttributes -> formatEntry) prints, or
// undefined (then the caller takes the general path). Checked on random members of every type, family and
// extension in both attribute styles, on randomly damaged bytes, and on every member the captured kernel
// list/save replies hold.
import { expect } from 'chai';
import { decodeAttributes, encodeAttributes, read } from '../../../native-free-netlink/core/attributes.js';
import { NLMSG_DONE, NLMSG_ERROR } from '../../../native-free-netlink/core/message.js';
import { decodeNfgen, nfnlMessage } from '../../../native-free-netlink/nfnetlink/nfgenmsg.js';
import {
  decodeEntryAttributes, encodeEntryAttributes, formatEntry, formatIpv4EntryData, IPSET_ATTR_ADT, IPSET_ATTR_TYPENAME, IPSET_ATTR_FAMILY,
  IPSET_CMD_LIST, type IpsetEntry,
} from '../../../native-free-netlink/ipset/index.js';
import { captured, Prng } from './helpers.js';

const TYPES = ['hash:ip', 'hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net', 'hash:net', 'bitmap:port', 'hash:mac', 'list:set'];

function general(type: string, family: number, data: Uint8Array): string | undefined {
  try {
    return formatEntry(type, family, decodeEntryAttributes(decodeAttributes(data)).entry);
  } catch {
    return undefined;
  }
}

function randomEntry(r: Prng, v6: boolean): IpsetEntry {
  const ip = (): string => (v6 ? `fd00::${r.int(1, 0xffff).toString(16)}` : `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}`);
  const e: IpsetEntry = {};
  if (r.next() < 0.95) e.ip = ip();
  if (r.next() < 0.8) e.proto = r.pick([6, 17, 132, 1, 58, 47]);
  if (r.next() < 0.8) e.port = r.int(0, 65535);
  if (r.next() < 0.6) e.ip2 = ip();
  if (r.next() < 0.3) e.cidr = r.int(1, v6 ? 128 : 32);
  if (r.next() < 0.3) e.cidr2 = r.int(1, v6 ? 128 : 32);
  if (r.next() < 0.1) e.timeout = r.int(0, 1000);
  if (r.next() < 0.05) e.comment = 'x';
  if (r.next() < 0.05) e.nomatch = true;
  return e;
}

describe('formatIpv4EntryData (listed members straight from their bytes)', () => {
  it('prints what the general path prints, or leaves the member to it (property)', () => {
    const r = new Prng(31337);
    let fast = 0;
    for (let n = 0; n < 4000; n++) {
      const v6 = r.next() < 0.2;
      const family = v6 ? 10 : r.next() < 0.97 ? 2 : 0;
      const type = r.pick(TYPES);
      const e = randomEntry(r, v6);
      const data = encodeAttributes(encodeEntryAttributes(e, r.next() < 0.8 ? 'reply' : 'request'));
      const got = formatIpv4EntryData(type, family, data);
      // The same bytes inside a larger buffer (a listing message), read in place.
      const inside = Uint8Array.of(0xee, 0xee, 0xee, 0xee, ...data, 0x7f, 0x7f, 0x7f, 0x7f);
      expect(formatIpv4EntryData(type, family, inside, 4, 4 + data.length), 'in place').to.equal(got);
      if (got !== undefined) {
        fast++;
        expect(got, JSON.stringify({ type, family, e })).to.equal(general(type, family, data));
      }
    }
    expect(fast).to.be.greaterThan(500);
  });

  it('takes the common kube-proxy members itself', () => {
    const cases: [string, IpsetEntry, string][] = [
      ['hash:ip,port', { ip: '10.96.0.10', proto: 6, port: 80 }, '10.96.0.10,tcp:80'],
      ['hash:ip,port,ip', { ip: '10.244.1.2', proto: 17, port: 53, ip2: '10.244.1.2' }, '10.244.1.2,udp:53,10.244.1.2'],
      ['hash:ip,port,net', { ip: '10.96.0.10', proto: 132, port: 80, ip2: '10.0.0.0', cidr2: 8 }, '10.96.0.10,sctp:80,10.0.0.0/8'],
      ['hash:ip', { ip: '192.168.1.1' }, '192.168.1.1'],
      ['hash:net', { ip: '10.0.0.0', cidr: 16 }, '10.0.0.0/16'],
      ['bitmap:port', { port: 30080 }, '30080'],
    ];
    for (const [type, e, text] of cases) {
      expect(formatIpv4EntryData(type, 2, encodeAttributes(encodeEntryAttributes(e, 'reply')))).to.equal(text);
    }
    // ICMP and IPv6 go the general way.
    expect(formatIpv4EntryData('hash:ip,port', 2, encodeAttributes(encodeEntryAttributes({ ip: '10.0.0.1', proto: 1, port: 0x0800 }, 'reply')))).to.equal(undefined);
    expect(formatIpv4EntryData('hash:ip', 10, encodeAttributes(encodeEntryAttributes({ ip: 'fd00::1' }, 'reply')))).to.equal(undefined);
  });

  it('never prints bytes the general path refuses (random damage)', () => {
    const r = new Prng(4242);
    for (let n = 0; n < 3000; n++) {
      const type = r.pick(TYPES.slice(0, 6));
      const data = Uint8Array.from(encodeAttributes(encodeEntryAttributes(randomEntry(r, false), 'reply')));
      for (let k = r.int(1, 3); k > 0; k--) data[r.int(0, data.length - 1)] = r.pick([0, 1, 2, 4, 8, 0xff, r.int(0, 255)]);
      const got = formatIpv4EntryData(type, 2, data);
      if (got !== undefined) expect(got).to.equal(general(type, 2, data));
    }
  });

  for (const name of ['ipset-list-all', 'ipset-save-all', 'ours-list-big']) {
    it(`agrees with the general path on every member of the captured ${name}`, () => {
      let seen = 0;
      let type = '';
      let family = 0;
      for (const d of captured(name).datagrams.filter((x) => x.direction === 'reply')) {
        for (const m of d.messages) {
          if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR || nfnlMessage(m.type) !== IPSET_CMD_LIST) continue;
          const attrs = decodeNfgen(m.payload).attrs;
          const t = attrs.find((a) => a.type === IPSET_ATTR_TYPENAME);
          if (t) {
            type = read.string(t);
            family = read.u8(attrs.find((a) => a.type === IPSET_ATTR_FAMILY)!);
          }
          const adt = attrs.find((a) => a.type === IPSET_ATTR_ADT);
          for (const member of adt ? read.nested(adt) : []) {
            const got = formatIpv4EntryData(type, family, member.data);
            if (got !== undefined) {
              seen++;
              expect(got).to.equal(general(type, family, member.data));
            }
          }
        }
      }
      expect(seen).to.be.greaterThan(0);
    });
  }
});
