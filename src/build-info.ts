// What this build of the operator is: the version of package.json and the source revision it was
// built from, which esbuild.config.mjs writes into the bundle and /metrics reports as
// workflow_resume_build_info. Run from the sources (unit tests), there is no build to name.
declare const __WRO_VERSION__: string | undefined;
declare const __WRO_REVISION__: string | undefined;

export interface BuildInfo {
  version: string;
  revision: string;
}

export const buildInfo: BuildInfo = {
  version: typeof __WRO_VERSION__ === 'string' ? __WRO_VERSION__ : 'unbuilt',
  revision: typeof __WRO_REVISION__ === 'string' ? __WRO_REVISION__ : 'unknown',
};
