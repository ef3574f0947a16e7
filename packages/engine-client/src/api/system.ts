/**
 * System: ping, version and info answers.
 * Part of the agreed public surface (gathered in ../api.ts).
 */

export interface PingResult {
  apiVersion: string;
  osType?: string;
  experimental?: boolean;
  builderVersion?: string;
}

export interface VersionInfo {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Components?: Array<{ Name: string; Version: string }>;
}

export interface SystemInfo {
  ID?: string;
  Name?: string;
  Driver: string;
  DriverStatus?: Array<[string, string]>;
  DockerRootDir?: string;
  OSType?: string;
  Architecture?: string;
  ServerVersion?: string;
  [key: string]: unknown;
}
