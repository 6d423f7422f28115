// The schema language: each API package lists its Go types as plain data, learned from the Go
// types of Kubernetes 1.32 (k8s.io/api/<group>/<version>/types.go, k8s.io/apimachinery meta/v1).
// compile.ts turns it into the lookups the decoder walks; openapiDefs.ts into OpenAPI schemas.
//
// A struct is an object whose keys are JSON field names and whose values are field specs:
//
//   '<type> [option ...]'
//
//   <type>   a Go type expression: string bool int32 int64 float64 []byte, a named type of the same
//            package (Container) or of another one (meta.ObjectMeta, core.PodSpec, resource.Quantity,
//            intstr.IntOrString, types.UID), a pointer *T, a slice []T or a map map[string]T.
//   required               the field is required in OpenAPI (no `+optional`, no omitempty)
//   noomit                 optional, but Go keeps its zero value (no omitempty)
//   list=atomic|set|map    x-kubernetes-list-type          keys=a,b   x-kubernetes-list-map-keys
//   patch=merge|retainKeys|merge,retainKeys               x-kubernetes-patch-strategy
//   mergeKey=name          x-kubernetes-patch-merge-key    map=atomic|granular  x-kubernetes-map-type
//   default=<json>         the OpenAPI default             discriminator  the union's discriminator
//
// Keys starting with `$` are struct options:
//   $inline  space-separated embedded structs whose fields are part of this one (Go `json:",inline"`)
//   $map     'atomic' | 'granular' (x-kubernetes-map-type of the struct, from `+structType`)
//   $union   the struct is a union (x-kubernetes-unions); every other field is a member
//   $doc     a short description (ours) shown by `kubectl explain`
//
// Any other named type is a string: the Go type it is declared as, optionally followed by
// `enum(A|B|C)` (the constants of a `+enum` type, sorted as kube-openapi sorts them), or one of the
// special leaves `@quantity @intOrString @time @microTime @raw` for the apimachinery types that
// decode themselves (resource.Quantity, intstr.IntOrString, metav1.Time, metav1.MicroTime,
// metav1.FieldsV1 and runtime.RawExtension), or `@any` for interface{}.
//
// The package files were produced once from the 1.32 types.go files (field names, Go types,
// json tags and `+` markers; no documentation text) and checked field by field against the
// packages' generated.proto; `$doc` texts are ours.

export interface StructDef {
  $inline?: string;
  $map?: 'atomic' | 'granular';
  $union?: boolean;
  $doc?: string;
  [field: string]: string | boolean | undefined;
}

export type TypeDefs = Record<string, StructDef | string>;

export interface PackageDef {
  /** Short name used in qualified references from other packages ('core', 'meta'). */
  name: string;
  /** The Go package name as Go's reflect prints types (`v1.Container`, `resource.Quantity`). */
  goPackage: string;
  /** Prefix of OpenAPI definition names ('io.k8s.api.core.v1'). */
  openapi: string;
  types: TypeDefs;
}

/** Merges the type lists of one package spread over several files. */
export function definePackage(base: Omit<PackageDef, 'types'>, ...parts: TypeDefs[]): PackageDef {
  const types: TypeDefs = {};
  for (const part of parts) {
    for (const [name, def] of Object.entries(part)) {
      if (name in types) throw new Error(`schema: ${base.name}.${name} is defined twice`);
      types[name] = def;
    }
  }
  return { ...base, types };
}
