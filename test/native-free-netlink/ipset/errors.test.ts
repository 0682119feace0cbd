// Error numbers -> ipset's own texts (lib/errcode.c), with the command- and type-specific choices.
import { expect } from 'chai';
import { decodeAck, encodeAck } from '../../../native-free-netlink/core/ack.js';
import {
  describeIpsetErrno,
  encodeDestroyRequest,
  IPSET_CMD_ADD,
  IPSET_CMD_CREATE,
  IPSET_CMD_DEL,
  IPSET_CMD_DESTROY,
  IPSET_CMD_LIST,
  IPSET_CMD_RENAME,
  IPSET_CMD_SWAP,
  IPSET_ERR_BITMAP_RANGE,
  IPSET_ERR_BUSY,
  IPSET_ERR_EXIST,
  IPSET_ERR_EXIST_SETNAME2,
  IPSET_ERR_FIND_TYPE,
  IPSET_ERR_HASH_FULL,
  IPSET_ERR_INVALID_CIDR,
  IPSET_ERR_INVALID_PROTO,
  IPSET_ERR_NAME,
  IPSET_ERR_PROTOCOL,
  IPSET_ERR_REFERENCED,
  IPSET_ERR_SKBINFO,
  IPSET_ERR_TYPE_MISMATCH,
  IpsetError,
  ipsetErrorFromAck,
} from '../../../native-free-netlink/ipset/index.js';

describe('ipset errors', () => {
  it('private errnos are 4096 + their place in enum ipset_errno; type-specific ones start at 4352', () => {
    expect(IPSET_ERR_PROTOCOL).to.equal(4097);
    expect(IPSET_ERR_BUSY).to.equal(4100);
    expect(IPSET_ERR_EXIST).to.equal(4103);
    expect(IPSET_ERR_INVALID_CIDR).to.equal(4104);
    expect(IPSET_ERR_SKBINFO).to.equal(4114);
    expect(IPSET_ERR_HASH_FULL).to.equal(4352);
    expect(IPSET_ERR_INVALID_PROTO).to.equal(4354);
  });

  const TEXTS: [number, number, string | undefined, string, string][] = [
    [IPSET_ERR_BUSY, IPSET_CMD_DESTROY, undefined, 'IPSET_ERR_BUSY', 'Set cannot be destroyed: it is in use by a kernel component'],
    [IPSET_ERR_EXIST, IPSET_CMD_ADD, undefined, 'IPSET_ERR_EXIST', "Element cannot be added to the set: it's already added"],
    [IPSET_ERR_EXIST, IPSET_CMD_DEL, undefined, 'IPSET_ERR_EXIST', "Element cannot be deleted from the set: it's not added"],
    [17, IPSET_CMD_CREATE, undefined, 'EEXIST', 'Set cannot be created: set with the same name already exists'],
    [2, IPSET_CMD_LIST, undefined, 'ENOENT', 'The set with the given name does not exist'],
    [IPSET_ERR_EXIST_SETNAME2, IPSET_CMD_RENAME, undefined, 'IPSET_ERR_EXIST_SETNAME2', 'Set cannot be renamed: a set with the new name already exists'],
    [IPSET_ERR_EXIST_SETNAME2, IPSET_CMD_SWAP, undefined, 'IPSET_ERR_EXIST_SETNAME2', 'Sets cannot be swapped: the second set does not exist'],
    [IPSET_ERR_REFERENCED, IPSET_CMD_RENAME, undefined, 'IPSET_ERR_REFERENCED', 'Set cannot be renamed: it is in use by another system'],
    [IPSET_ERR_TYPE_MISMATCH, IPSET_CMD_SWAP, undefined, 'IPSET_ERR_TYPE_MISMATCH', 'The sets cannot be swapped: their type does not match'],
    [IPSET_ERR_FIND_TYPE, IPSET_CMD_CREATE, undefined, 'IPSET_ERR_FIND_TYPE', 'Kernel error received: set type not supported'],
    [IPSET_ERR_INVALID_CIDR, IPSET_CMD_ADD, 'hash:net', 'IPSET_ERR_INVALID_CIDR', 'The value of the CIDR parameter of the IP address is invalid'],
    // 4352 means different things per type family.
    [4352, IPSET_CMD_ADD, 'hash:ip,port', 'IPSET_ERR_HASH_FULL', 'Hash is full, cannot add more elements'],
    [IPSET_ERR_BITMAP_RANGE, IPSET_CMD_ADD, 'bitmap:port', 'IPSET_ERR_BITMAP_RANGE', 'Element is out of the range of the set'],
    [IPSET_ERR_NAME, IPSET_CMD_ADD, 'list:set', 'IPSET_ERR_NAME', 'Set to be added/deleted/tested as element does not exist.'],
    [IPSET_ERR_INVALID_PROTO, IPSET_CMD_ADD, 'hash:ip,port', 'IPSET_ERR_INVALID_PROTO', 'Invalid protocol specified'],
    [22, IPSET_CMD_ADD, 'hash:ip', 'EINVAL', 'Kernel error received: EINVAL'],
    [4352, IPSET_CMD_ADD, undefined, 'IPSET_ERR_TYPE_SPECIFIC+0', 'Undecoded error 4352 received from kernel'],
    [4200, IPSET_CMD_ADD, undefined, 'IPSET_ERR 4200', 'Undecoded error 4200 received from kernel'],
  ];
  for (const [errno, cmd, type, symbol, text] of TEXTS) {
    it(`${errno} for command ${cmd}${type ? ` on ${type}` : ''}: ${symbol}`, () => {
      expect(describeIpsetErrno(errno, cmd, type)).to.deep.equal({ symbol, text });
    });
  }

  it('IpsetError carries errno, command, set and element, and reads like ipset', () => {
    const e = new IpsetError(IPSET_ERR_EXIST, IPSET_CMD_ADD, 'KUBE-CLUSTER-IP', '10.96.0.10,tcp:80', 'hash:ip,port');
    expect(e).to.be.instanceOf(Error);
    expect(e.errno).to.equal(4103);
    expect(e.cmd).to.equal(IPSET_CMD_ADD);
    expect(e.setName).to.equal('KUBE-CLUSTER-IP');
    expect(e.element).to.equal('10.96.0.10,tcp:80');
    expect(e.symbol).to.equal('IPSET_ERR_EXIST');
    expect(e.message).to.equal(
      "ipset add KUBE-CLUSTER-IP 10.96.0.10,tcp:80: Element cannot be added to the set: it's already added (IPSET_ERR_EXIST, errno 4103)",
    );
  });

  it('ipsetErrorFromAck: undefined for success, an IpsetError (with any extended-ack text) otherwise', () => {
    const req = encodeDestroyRequest('KUBE-IPVS-IPS', {}, { seq: 3 });
    expect(ipsetErrorFromAck(decodeAck(encodeAck(req, 0)), { cmd: IPSET_CMD_DESTROY })).to.equal(undefined);
    const err = ipsetErrorFromAck(decodeAck(encodeAck(req, IPSET_ERR_BUSY, 'in use')), { cmd: IPSET_CMD_DESTROY, setName: 'KUBE-IPVS-IPS' });
    expect(err?.message).to.equal(
      'ipset destroy KUBE-IPVS-IPS: Set cannot be destroyed: it is in use by a kernel component (IPSET_ERR_BUSY, errno 4100): in use',
    );
  });
});
