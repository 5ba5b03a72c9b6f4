export { type Sqld, startSqld } from "@picasync/testing/Sqld"
