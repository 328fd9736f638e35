// Names for the API's schemas, generated from its OpenAPI document (schema.d.ts): a field
// the API renames or drops fails `vue-tsc`, so the UI never drifts from the API silently.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Container = Schemas["ContainerPublic"];
export type EffectiveSchedule = Schemas["SchedulePublic"];
export type BatchStarted = Schemas["BatchStarted"];
export type CheckStatus = Schemas["CheckStatus"];
export type CheckSummary = Schemas["CheckSummaryPublic"];
export type Setting = Schemas["AutoUpdatePublic"];
export type SettingCreate = Schemas["AutoUpdateCreate"];
export type SettingUpdate = Schemas["AutoUpdateUpdate"];
export type ScheduleType = Schemas["ScheduleType"];
export type Criteria = Schemas["SettingCriteria"];
export type UpdatePolicy = Schemas["UpdatePolicy"];
export type Run = Schemas["RunPublic"];
export type RunDetail = Schemas["RunDetail"];
export type RunStatus = Schemas["RunStatus"];
export type RunStep = Schemas["StepPublic"];
export type RunLog = Schemas["LogPublic"];
export type StepName = Schemas["Step"];
export type Environment = Schemas["EnvironmentPublic"];
export type EnvironmentCreate = Schemas["EnvironmentCreate"];
export type Target = Schemas["TargetPublic"];
export type TargetCreate = Schemas["TargetCreate"];
export type EventKind = Schemas["EventKind"];
export type Delivery = Schemas["DeliveryResult"];
export type Token = Schemas["TokenPublic"];
export type TokenIssued = Schemas["TokenIssued"];
export type Permission = Schemas["Permission"];
export type Session = Schemas["SessionPublic"];
export type CronDescription = Schemas["CronDescription"];
export type FieldErrors = Schemas["FieldErrors"];

/** Fields of a container row that the API may add later (a skipped version's words, the
 * available tag). Each is shown when the API sends it; until then the row is derived. */
export interface ContainerExtras {
  skip?: string | null;
  available_tag?: string | null;
}

export type ContainerFromApi = Container & ContainerExtras;
