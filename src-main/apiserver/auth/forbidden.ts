import { goQuote } from '../../api/validation/goRender.js';
import { errors, type ApiError } from '../status.js';
import type { RequestAttributes } from './requestAttributes.js';
import type { UserInfo } from './tokens.js';

/** kube's responsewriters.Forbidden: `<resource> "<name>" is forbidden: User "<u>" cannot <verb> resource ...`. */
export function forbidden(user: UserInfo, a: RequestAttributes, reason: string): ApiError {
  const res = a.subresource ? `${a.resource.plural}/${a.subresource}` : a.resource.plural;
  const scope = a.namespace ? `in the namespace ${goQuote(a.namespace)}` : 'at the cluster scope';
  const msg = `User ${goQuote(user.name)} cannot ${a.verb} resource ${goQuote(res)} in API group ${goQuote(a.resource.group)} ${scope}`;
  return errors.forbidden(a.resource, a.name ?? '', reason ? `${msg}: ${reason}` : msg);
}
