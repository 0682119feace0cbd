// Literal bytes of the link requests, written from iproute2 6.1's ip/iplink.c and the uapi headers;
// captured.test.ts checks the same shapes against what `ip` really sent to a 6.1 kernel.
import { expect } from 'chai';
import { fromHex, toHex } from '../../../native-free-netlink/core/bytes.js';
import { encodeMessage } from '../../../native-free-netlink/core/message.js';
import {
  createLink,
  decodeLink,
  decodeLinkPayload,
  deleteLink,
  dumpLinks,
  getLink,
  IFF_UP,
  setLinkDown,
  setLinkUp,
} from '../../../native-free-netlink/rtnetlink/index.js';

const hex = (m: Parameters<typeof encodeMessage>[0]): string => toHex(encodeMessage(m));
const clean = (s: string): string => toHex(fromHex(s));

// IFLA_IFNAME "kube-ipvs0\0": nla_len 15, type 3, one byte of padding.
const IFNAME_KUBE_IPVS0 = '0f000300 6b7562652d6970767330 00 00';

describe('rtnetlink link requests', () => {
  it('createLink is `ip link add kube-ipvs0 type dummy`, byte for byte', () => {
    expect(hex(createLink({ name: 'kube-ipvs0', kind: 'dummy' }, 1))).to.equal(
      clean(
        // nlmsghdr: len 64, RTM_NEWLINK 16, flags REQUEST|ACK|EXCL|CREATE 0x605, seq 1, pid 0
        '40000000 1000 0506 01000000 00000000' +
          // ifinfomsg: all zero (the kernel picks the index; created DOWN)
          '00 00 0000 00000000 00000000 00000000' +
          IFNAME_KUBE_IPVS0 +
          // IFLA_LINKINFO (18, no NLA_F_NESTED) len 16 { IFLA_INFO_KIND "dummy" without NUL, len 9 }
          '10001200 09000100 64756d6d79 000000',
      ),
    );
  });

  it('createLink with up sets IFF_UP in both ifi_flags and ifi_change', () => {
    const m = createLink({ name: 'kube-ipvs0', kind: 'dummy', up: true }, 9, 1234);
    expect(hex(m).slice(0, 64)).to.equal(clean('40000000 1000 0506 09000000 d2040000 00 00 0000 00000000 01000000 01000000'));
    expect(decodeLinkPayload(m.payload).header).to.deep.equal({ family: 0, type: 0, index: 0, flags: IFF_UP, change: IFF_UP });
  });

  it('deleteLink by index is `ip link del` after its name lookup: ifi_index only', () => {
    expect(hex(deleteLink({ index: 3 }, 7))).to.equal(clean('20000000 1100 0500 07000000 00000000 00 00 0000 03000000 00000000 00000000'));
  });

  it('deleteLink by name sends ifi_index 0 and IFLA_IFNAME', () => {
    expect(hex(deleteLink({ name: 'kube-ipvs0' }, 7))).to.equal(
      clean('30000000 1100 0500 07000000 00000000 00 00 0000 00000000 00000000 00000000' + IFNAME_KUBE_IPVS0),
    );
  });

  it('getLink asks without NLM_F_ACK and with IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS before the name', () => {
    expect(hex(getLink({ name: 'kube-ipvs0' }, 2))).to.equal(
      clean('38000000 1200 0100 02000000 00000000 00 00 0000 00000000 00000000 00000000' + '08001d00 08000000' + IFNAME_KUBE_IPVS0),
    );
    expect(hex(getLink({ index: 3 }, 2))).to.equal(
      clean('28000000 1200 0100 02000000 00000000 00 00 0000 03000000 00000000 00000000' + '08001d00 08000000'),
    );
  });

  it('dumpLinks is RTM_GETLINK with NLM_F_DUMP (0x300) and the same extension mask', () => {
    expect(hex(dumpLinks(3, 99))).to.equal(clean('28000000 1200 0103 03000000 63000000 00 00 0000 00000000 00000000 00000000 08001d00 08000000'));
  });

  it('setLinkUp/setLinkDown change only IFF_UP, through RTM_NEWLINK as `ip link set` does', () => {
    expect(hex(setLinkUp({ index: 3 }, 4))).to.equal(clean('20000000 1000 0500 04000000 00000000 00 00 0000 03000000 01000000 01000000'));
    expect(hex(setLinkDown({ index: 3 }, 5))).to.equal(clean('20000000 1000 0500 05000000 00000000 00 00 0000 03000000 00000000 01000000'));
    expect(hex(setLinkUp({ name: 'kube-ipvs0' }, 4))).to.equal(
      clean('30000000 1000 0500 04000000 00000000 00 00 0000 00000000 01000000 01000000' + IFNAME_KUBE_IPVS0),
    );
  });

  it('a create request decodes back to the link it asks for (what a fake kernel reads)', () => {
    expect(decodeLink(createLink({ name: 'kube-ipvs0', kind: 'dummy' }, 1))).to.deep.equal({
      index: 0,
      name: 'kube-ipvs0',
      kind: 'dummy',
      flags: 0,
      up: false,
      type: 0,
    });
  });

  it('refuses names the kernel would refuse, before sending anything', () => {
    for (const name of ['', 'a-name-of-16chrs', 'a/b', 'a b', 'a:b', '.', '..', 'tab\there']) {
      expect(() => createLink({ name, kind: 'dummy' }, 1), name).to.throw(RangeError, /invalid link name/);
      expect(() => getLink({ name }, 1), name).to.throw(RangeError, /invalid link name/);
    }
    expect(() => createLink({ name: 'fifteen-chars-x', kind: 'dummy' }, 1)).not.to.throw();
  });

  it('refuses bad indexes and kinds', () => {
    for (const index of [0, -1, 1.5, Number.NaN]) {
      expect(() => deleteLink({ index }, 1), String(index)).to.throw(RangeError, /invalid link index/);
    }
    expect(() => createLink({ name: 'x', kind: 'Dummy!' }, 1)).to.throw(RangeError, /invalid link kind/);
  });
});
