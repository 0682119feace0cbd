import { expect } from 'chai';
import { encodeAttributes, type Attribute } from '../../../native-free-netlink/core/attributes.js';
import { AF_INET, AF_INET6 } from '../../../native-free-netlink/core/ip.js';
import {
  checkServiceForAdd,
  describeServiceKey,
  IP_VS_SVC_F_HASHED,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_SVC_F_SCHED_SH_FALLBACK,
  IP_VS_SVC_F_SCHED_SH_PORT,
  IPPROTO_TCP,
  IPPROTO_UDP,
  packService,
  packServiceKey,
  unpackService,
  unpackServiceKey,
  type IpvsService,
} from '../../../native-free-netlink/ipvs/index.js';
import { decodeAttributes } from '../../../native-free-netlink/core/attributes.js';
import { hex } from './helpers.js';

const web: IpvsService = {
  family: AF_INET,
  protocol: IPPROTO_TCP,
  address: '10.96.0.10',
  port: 80,
  fwmark: 0,
  scheduler: 'rr',
  flags: 0,
  timeout: 0,
  netmask: 0xffffffff,
};

function bytes(attrs: Attribute[]): Uint8Array {
  return encodeAttributes(attrs);
}

describe('ipvs service attributes', () => {
  it('packs an IPv4 TCP service in the kernel order, port and netmask big-endian', () => {
    const want = hex(`
      06000100 02000000
      06000200 06000000
      14000300 0a60000a 00000000 00000000 00000000
      06000400 00500000
      07000600 72720000
      0c000700 00000000 ffffffff
      08000800 00000000
      08000900 ffffffff`);
    expect(bytes(packService(web))).to.deep.equal(want);
    expect(unpackService(decodeAttributes(want))).to.deep.equal(web);
  });

  it('packs a 4-byte IPv4 address on request, and reads both lengths', () => {
    const attrs = packServiceKey(web, { ipv4AddressLength: 4 });
    expect(bytes([attrs[2]!])).to.deep.equal(hex('08000300 0a60000a'));
    expect(unpackServiceKey(attrs)).to.deep.equal({ family: AF_INET, protocol: 6, address: '10.96.0.10', port: 80, fwmark: 0 });
  });

  it('packs an IPv6 service with a 16-byte address and the prefix length in HOST order', () => {
    const svc: IpvsService = { ...web, family: AF_INET6, protocol: IPPROTO_UDP, address: 'fd00:10:96::a', port: 53, netmask: 128 };
    const want = hex(`
      06000100 0a000000
      06000200 11000000
      14000300 fd000010 00960000 00000000 0000000a
      06000400 00350000
      07000600 72720000
      0c000700 00000000 ffffffff
      08000800 00000000
      08000900 80000000`);
    expect(bytes(packService(svc))).to.deep.equal(want);
    expect(unpackService(decodeAttributes(want))).to.deep.equal(svc);
  });

  it('packs a fwmark service as AF + FWMARK only', () => {
    const svc: IpvsService = { ...web, protocol: 0, address: '', port: 0, fwmark: 5 };
    const want = hex(`
      06000100 02000000
      08000500 05000000
      07000600 72720000
      0c000700 00000000 ffffffff
      08000800 00000000
      08000900 ffffffff`);
    expect(bytes(packService(svc))).to.deep.equal(want);
    expect(unpackService(decodeAttributes(want))).to.deep.equal(svc);
    expect(describeServiceKey(svc)).to.equal('fwmark 5');
    expect(describeServiceKey({ ...svc, family: AF_INET6 })).to.equal('fwmark 5 inet6');
  });

  it('packs persistence: flag, timeout in seconds, a /24 netmask as ff ff ff 00', () => {
    const svc: IpvsService = { ...web, flags: IP_VS_SVC_F_PERSISTENT, timeout: 10800, netmask: 0xffffff00 };
    const attrs = packService(svc);
    expect(bytes(attrs.slice(5))).to.deep.equal(hex('0c000700 01000000 ffffffff  08000800 302a0000  08000900 ffffff00'));
    expect(unpackService(attrs)).to.deep.equal(svc);
  });

  it('packs a persistence engine name after the scheduler', () => {
    const svc: IpvsService = { ...web, peName: 'sip' };
    const attrs = packService(svc);
    expect(bytes([attrs[5]!])).to.deep.equal(hex('0800 0b00 73697000'));
    expect(unpackService(attrs)).to.deep.equal(svc);
  });

  it('never sends IP_VS_SVC_F_HASHED, and drops it when decoding the kernel', () => {
    const attrs = packService({ ...web, flags: IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_HASHED });
    expect(bytes([attrs[5]!])).to.deep.equal(hex('0c000700 01000000 ffffffff'));
    const hashed = packService(web);
    hashed[5] = { ...hashed[5]!, data: hex('03000000 ffffffff') };
    expect(unpackService(hashed).flags).to.equal(IP_VS_SVC_F_PERSISTENT);
  });

  it('sends a flags mask, and decodes flags & mask', () => {
    const attrs = packService({ ...web, flags: IP_VS_SVC_F_SCHED_SH_FALLBACK | IP_VS_SVC_F_SCHED_SH_PORT }, { flagsMask: 0x18 });
    expect(bytes([attrs[5]!])).to.deep.equal(hex('0c000700 18000000 18000000'));
    attrs[5] = { ...attrs[5]!, data: hex('19000000 18000000') };
    expect(unpackService(attrs).flags).to.equal(0x18);
  });

  it('refuses what cannot be encoded', () => {
    expect(() => packService({ ...web, address: 'fd00::1' })).to.throw(/not of family inet/);
    expect(() => packService({ ...web, scheduler: 'a-very-long-name' })).to.throw(/longer than 15 bytes/);
    expect(() => packService({ ...web, port: 70000 })).to.throw(/bad port/);
    expect(() => packService({ ...web, fwmark: 5 })).to.throw(/fwmark service has no protocol/);
    expect(() => packService({ ...web, protocol: 0 })).to.throw(/bad protocol/);
    expect(() => packService({ ...web, address: '10.1' })).to.throw(/invalid/);
  });

  it('refuses before NEW/SET what the kernel would refuse: empty scheduler, IPv6 netmask 0', () => {
    expect(() => checkServiceForAdd({ ...web, scheduler: '' })).to.throw(/empty scheduler/);
    expect(() => checkServiceForAdd({ ...web, family: AF_INET6, address: 'fd00::1', netmask: 0 })).to.throw(/1\.\.128/);
    expect(() => checkServiceForAdd(web)).not.to.throw();
  });

  it('names what is missing in a malformed nest', () => {
    const attrs = packService(web);
    expect(() => unpackService(attrs.filter((a) => a.type !== 6))).to.throw(/SCHED_NAME/);
    expect(() => unpackServiceKey(attrs.filter((a) => a.type !== 1))).to.throw(/IPVS_SVC_ATTR_AF/);
    expect(() => unpackServiceKey(attrs.filter((a) => a.type !== 4))).to.throw(/IPVS_SVC_ATTR_PORT/);
    const short = attrs.map((a) => (a.type === 3 ? { ...a, data: hex('0a60') } : a));
    expect(() => unpackServiceKey(short)).to.throw(/2 bytes/);
  });
});
