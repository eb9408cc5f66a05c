// Makes an SBOM that syft wrote depend only on what it describes: the time it records becomes the
// commit's (SOURCE_DATE_EPOCH) and its random document identity one derived from the image digest.
//   node hack/release/normalize-sbom.mjs FILE EPOCH_SECONDS IMAGE_DIGEST
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [file, epoch, digest] = process.argv.slice(2);
if (!file || !epoch || !digest) throw new Error('usage: normalize-sbom.mjs FILE EPOCH_SECONDS IMAGE_DIGEST');
const created = new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, 'Z');
const hex = createHash('sha256').update(digest).digest('hex');
// A name-based UUID (version 5 layout) from the digest: stable for one image, unique across images.
const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;

let text = readFileSync(file, 'utf8');
// CycloneDX names the scanned source by a reference derived from where it was scanned (a
// temporary folder), and refers to it by that name elsewhere: every mention is renamed.
const sourceRef = JSON.parse(text).metadata?.component?.['bom-ref'];
if (typeof sourceRef === 'string') text = text.split(`"${sourceRef}"`).join(`"${hex.slice(32, 48)}"`);
const sbom = JSON.parse(text);
if (sbom.spdxVersion) {
  sbom.creationInfo.created = created;
  sbom.documentNamespace = sbom.documentNamespace.replace(/[^/]+$/, uuid);
} else if (sbom.bomFormat === 'CycloneDX') {
  sbom.serialNumber = `urn:uuid:${uuid}`;
  sbom.metadata.timestamp = created;
} else {
  throw new Error(`${file} is neither SPDX nor CycloneDX JSON`);
}
writeFileSync(file, `${JSON.stringify(sbom, null, 2)}\n`);
