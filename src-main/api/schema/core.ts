import { definePackage } from './dsl.js';
import { coreObjectTypes } from './coreObjects.js';
import { corePodTypes } from './corePod.js';
import { corePodStatusTypes } from './corePodStatus.js';
import { coreContainerTypes } from './coreContainer.js';
import { coreSchedulingTypes } from './coreScheduling.js';
import { coreVolumeTypes } from './coreVolume.js';
import { coreServiceTypes } from './coreService.js';
import { coreNodeTypes } from './coreNode.js';

// core/v1 (the legacy group, served at /api/v1), spread over one file per topic.
export const corePackage = definePackage(
  { name: 'core', goPackage: 'v1', openapi: 'io.k8s.api.core.v1' },
  coreObjectTypes,
  corePodTypes,
  corePodStatusTypes,
  coreContainerTypes,
  coreSchedulingTypes,
  coreVolumeTypes,
  coreServiceTypes,
  coreNodeTypes,
);
