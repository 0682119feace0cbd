import { expect } from 'chai';
import { decodeAttributes, encodeAttributes } from '../../../native-free-netlink/core/attributes.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_CONN_F_TUNNEL_TYPE_GUE,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  packDestination,
  packDestinationKey,
  unpackDestination,
  unpackDestinationKey,
  unpackDestinationStats,
  type IpvsDestination,
} from '../../../native-free-netlink/ipvs/index.js';
import { hex } from './helpers.js';

const pod: IpvsDestination = {
  family: AF_INET,
  address: '10.244.1.2',
  port: 8080,
  forward: IP_VS_CONN_F_MASQ,
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
};

describe('ipvs destination attributes', () => {
  it('packs a masq destination: ADDR_FAMILY first, 16-byte address, port 8080 = 1f 90', () => {
    const want = hex(`
      06000b00 02000000
      14000100 0af40102 00000000 00000000 00000000
      06000200 1f900000
      08000300 00000000
      08000400 01000000
      08000500 00000000
      08000600 00000000`);
    expect(encodeAttributes(packDestination(pod))).to.deep.equal(want);
    expect(unpackDestination(decodeAttributes(want))).to.deep.equal(pod);
  });

  it('packs an IPv6 destination with thresholds', () => {
    const d: IpvsDestination = { ...pod, family: AF_INET6, address: 'fd00:10:244::2', weight: 3, upperThreshold: 100, lowerThreshold: 10 };
    const want = hex(`
      06000b00 0a000000
      14000100 fd000010 02440000 00000000 00000002
      06000200 1f900000
      08000300 00000000
      08000400 03000000
      08000500 64000000
      08000600 0a000000`);
    expect(encodeAttributes(packDestination(d))).to.deep.equal(want);
    expect(unpackDestination(decodeAttributes(want))).to.deep.equal(d);
  });

  it('packs tunnel attributes between WEIGHT and U_THRESH, tunnel port big-endian', () => {
    const d: IpvsDestination = {
      ...pod,
      port: 0,
      forward: IP_VS_CONN_F_TUNNEL,
      tunnel: { type: IP_VS_CONN_F_TUNNEL_TYPE_GUE, port: 6081, flags: IP_VS_TUNNEL_ENCAP_FLAG_CSUM },
    };
    const attrs = packDestination(d);
    expect(attrs.map((a) => a.type)).to.deep.equal([11, 1, 2, 3, 4, 13, 14, 15, 5, 6]);
    expect(encodeAttributes(attrs.slice(5, 8))).to.deep.equal(hex('05000d00 01000000  06000e00 17c10000  06000f00 01000000'));
    expect(unpackDestination(attrs)).to.deep.equal(d);
  });

  it('packs only ADDR_FAMILY, ADDR, PORT as the identity', () => {
    expect(encodeAttributes(packDestinationKey(pod, { ipv4AddressLength: 4 }))).to.deep.equal(
      hex('06000b00 02000000  08000100 0af40102  06000200 1f900000'),
    );
  });

  it('takes the service family when the kernel sends no ADDR_FAMILY (before 3.18)', () => {
    const attrs = packDestination({ ...pod, forward: IP_VS_CONN_F_DROUTE }).filter((a) => a.type !== 11);
    expect(unpackDestinationKey(attrs, AF_INET)).to.deep.equal({ family: AF_INET, address: '10.244.1.2', port: 8080 });
    expect(() => unpackDestinationKey(attrs)).to.throw(/no service family/);
  });

  it('masks FWD_METHOD with IP_VS_CONN_F_FWD_MASK', () => {
    const attrs = packDestination(pod).map((a) => (a.type === 3 ? { ...a, data: hex('03200000') } : a));
    expect(unpackDestination(attrs).forward).to.equal(IP_VS_CONN_F_DROUTE);
  });

  it('refuses weights and methods the kernel would not take', () => {
    expect(() => packDestination({ ...pod, weight: -1 })).to.throw(/bad weight/);
    expect(() => packDestination({ ...pod, forward: 4 })).to.throw(/forwarding method/);
    expect(() => packDestination({ ...pod, address: 'fd00::2' })).to.throw(/not of family inet/);
  });

  it('reads connection counts; a dest without them is malformed', () => {
    const attrs = decodeAttributes(hex('08000700 05000000  08000800 02000000  08000900 01000000'));
    expect(unpackDestinationStats(attrs)).to.deep.equal({ activeConns: 5, inactiveConns: 2, persistConns: 1 });
    expect(() => unpackDestinationStats(attrs.slice(1))).to.throw(/ACTIVE_CONNS/);
  });
});
