-- Argo CD health check for ResumeRequests (resume.workflows.dev/v1alpha1). Install it as the
-- argocd-cm key resource.customizations.health.resume.workflows.dev_ResumeRequest (see
-- docs/operations.md). Progressing while the request waits for its stage or is being resumed,
-- Healthy once it resumed its workflow or was ignored as late or duplicate, Degraded when it failed.
local hs = {}
local status = obj.status
if status == nil or status.phase == nil or status.phase == "" then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to pick the request up"
  return hs
end
-- A status written for an older generation describes a spec that has changed since.
local generation = obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end
local phase = status.phase
hs.message = phase
if status.reason ~= nil then
  hs.message = phase .. "/" .. status.reason
end
if status.message ~= nil and status.message ~= "" then
  hs.message = hs.message .. ": " .. status.message
end
if phase == "Succeeded" or phase == "Ignored" then
  hs.status = "Healthy"
elseif phase == "Failed" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
return hs
