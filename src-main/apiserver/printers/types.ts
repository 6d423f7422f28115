// The Printer contract shared by every resource printer. Kept apart from index.ts so that printer modules
// can import it without a cycle through the registry.
import type { KubeObject, TableColumnDefinition } from '../../api/types.js';

/** metav1.TableRowCondition: extra row state, e.g. pods that have completed. */
export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface Printer {
  /** Every column, including priority-1 (`-o wide`) ones; kubectl hides those itself. */
  columns: TableColumnDefinition[];
  /** One cell per column, in column order. Integers are numbers, everything else strings. */
  cells(obj: KubeObject, now: Date): unknown[];
  /** Optional TableRow.conditions for the row (only pods set them in Kubernetes). */
  rowConditions?(obj: KubeObject): TableRowCondition[] | undefined;
}
