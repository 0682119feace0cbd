// What the proxier must have reported about each hostile object (test/hostile/hostile-objects.ts), checked
// against a list of problems: the desired state's (the property test) or those read back from the proxier's
// log (the e2e).
import { expect } from 'chai';
import type { Problem } from '../../lib/proxier/types.js';
import { isEndpointSlice, isService, type HostileObject } from './hostile-objects.js';

export function problemId(p: Problem): string {
  return JSON.stringify([p.namespace, p.name, p.field, p.reason]);
}

/** Problems by `namespace/name`, each a list of its fields (endpoint-slice problems apart). */
export function problemsByObject(problems: Problem[]): { service: Map<string, Problem[]>; slice: Map<string, Problem[]> } {
  const service = new Map<string, Problem[]>();
  const slice = new Map<string, Problem[]>();
  for (const p of problems) {
    const into = p.field.startsWith('EndpointSlice ') ? slice : service;
    const key = `${p.namespace}/${p.name}`;
    into.set(key, [...(into.get(key) ?? []), p]);
  }
  return { service, slice };
}

export function sorted(xs: string[]): string[] {
  return [...xs].sort();
}

/** What the object's problems must be; throws (with the object's description) when they are not. */
export function checkObject(h: HostileObject, byObject: ReturnType<typeof problemsByObject>, vsKeys: Set<string>): void {
  const id = `${h.namespace}/${h.name}`;
  const own = isService(h) ? byObject.service.get(id) ?? [] : [];
  const where = `${h.kind} ${JSON.stringify(id)} (${h.what})`;
  switch (h.outcome.kind) {
    case 'skipped':
      // Without a name, all such Services share the empty identity and its problems (see "once" above).
      expect(sorted(h.name && h.namespace ? own.map((p) => p.field) : [...new Set(own.map((p) => p.field))]), `${where}: one problem per flaw`)
        .to.deep.equal(sorted(h.outcome.fields));
      for (const p of own) expect(p.reason, where).to.match(/Service skipped$/);
      break;
    case 'conflict': {
      expect(sorted([...new Set(own.map((p) => p.field))]), `${where}: conflict problems`).to.deep.equal(sorted(h.outcome.fields));
      for (const p of own) expect(p.reason, where).to.include(`already belongs to ${h.outcome.owner}`);
      break;
    }
    case 'ignored':
    case 'programmed':
      expect(own, `${where}: no problem`).to.deep.equal([]);
      if (h.outcome.kind === 'programmed') {
        for (const k of h.outcome.virtualServers) expect(vsKeys.has(k), `${where}: virtual server ${k}`).to.equal(true);
      }
      if (isEndpointSlice(h)) {
        const fromSlice = [...byObject.slice.values()].flat().filter((p) => p.field.startsWith(`EndpointSlice ${h.name} `));
        expect(fromSlice, `${where}: no problem`).to.deep.equal([]);
      }
      break;
    case 'slice-parts-skipped': {
      const mine = (byObject.slice.get(h.outcome.service) ?? []).filter((p) => p.field.startsWith(`EndpointSlice ${h.name} `));
      expect(sorted(mine.map((p) => p.field)), `${where}: one problem per bad part`).to.deep.equal(sorted(h.outcome.fields));
      break;
    }
    case 'unspecified':
      break;
  }
}

