// The janitor's resource group content: identity, storage, monitoring, the Flex Consumption Function App
// and the identity's roles on its own resources. No secrets anywhere: storage takes no shared keys, the
// monitoring takes no local auth, and every connection is the user-assigned identity.
targetScope = 'resourceGroup'

param location string
param tags object
@description('Short unique suffix for globally unique names.')
param resourceToken string

@allowed([
  'plan'
  'apply'
])
param janitorMode string
param janitorSchedule string
param janitorPolicy object
param janitorPolicyPath string
param janitorPaused bool
@allowed([
  'disabled'
  'enabled'
])
param janitorManualApply string
param janitorAuditRetention string

param easyAuthClientId string
param auditReaderPrincipalId string
param auditReaderPrincipalType string

param maximumInstanceCount int
param instanceMemoryMB int
param logRetentionDays int

// Built-in role definition ids (docs/service.md#roles).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var functionAppName = 'func-iejanitor-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'

// ARM endpoint of the cloud this is deployed to, without the trailing slash the environment gives.
var resourceManager = environment().resourceManager
var armEndpoint = endsWith(resourceManager, '/') ? substring(resourceManager, 0, length(resourceManager) - 1) : resourceManager

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-iejanitor-${resourceToken}'
  location: location
  tags: tags
}

// Holds the Functions host's state (timer leases, queues), the deployment package, and the janitor's
// audit, runs, leases and work queues.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stiejanitor${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Flex Consumption without VNet integration reaches storage over its public endpoint (Entra auth only).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-iejanitor-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-iejanitor-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Entra-only ingestion: the connection string below then identifies the resource but cannot be used
    // to send telemetry without the identity's token.
    DisableLocalAuth: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-iejanitor-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  // azd finds the deployment target of service "api" by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Node 22 in Azure; the code itself stays Node 20 compatible.
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

// Identity-based connection: the same three service URIs serve the host and the janitor.
var storageConnection = {
  credential: 'managedidentity'
  clientId: identity.properties.clientId
  blobServiceUri: storage.properties.primaryEndpoints.blob
  queueServiceUri: storage.properties.primaryEndpoints.queue
  tableServiceUri: storage.properties.primaryEndpoints.table
}

// Every setting of README.md#settings. JANITOR_ARM_CA_CERT is deliberately absent: it only exists to
// trust the local emulator's certificate, and Azure's ARM endpoint has a public certificate.
var baseAppSettings = {
  AzureWebJobsStorage__credential: storageConnection.credential
  AzureWebJobsStorage__clientId: storageConnection.clientId
  AzureWebJobsStorage__blobServiceUri: storageConnection.blobServiceUri
  AzureWebJobsStorage__queueServiceUri: storageConnection.queueServiceUri
  AzureWebJobsStorage__tableServiceUri: storageConnection.tableServiceUri
  JANITOR_STORAGE__credential: storageConnection.credential
  JANITOR_STORAGE__clientId: storageConnection.clientId
  JANITOR_STORAGE__blobServiceUri: storageConnection.blobServiceUri
  JANITOR_STORAGE__queueServiceUri: storageConnection.queueServiceUri
  JANITOR_STORAGE__tableServiceUri: storageConnection.tableServiceUri
  JANITOR_MODE: janitorMode
  JANITOR_SCHEDULE: janitorSchedule
  JANITOR_PAUSED: janitorPaused ? 'true' : 'false'
  JANITOR_MANUAL_APPLY: janitorManualApply
  JANITOR_ARM_ENDPOINT: armEndpoint
  JANITOR_AUDIT_RETENTION: janitorAuditRetention
  AZURE_CLIENT_ID: identity.properties.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
}

// The policy setting is written only when given, so an empty parameter means the built-in default.
var inlinePolicySetting = empty(janitorPolicy) ? {} : { JANITOR_POLICY: string(janitorPolicy) }
var policyPathSetting = empty(janitorPolicyPath) ? {} : { JANITOR_POLICY_PATH: janitorPolicyPath }

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(baseAppSettings, inlinePolicySetting, policyPathSetting)
  // The host must be able to reach storage from its first start.
  dependsOn: [
    blobOwner
    queueContributor
    tableContributor
    metricsPublisher
  ]
}

// Deployments authenticate with Entra ID; no publishing passwords.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

// Optional Easy Auth: Entra ID bearer tokens for the API; the app reads the app roles Janitor.Operator and
// Janitor.Reader from x-ms-client-principal. Token validation only: no client secret, no token store.
resource easyAuth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(easyAuthClientId)) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // The health probe stays anonymous; it reveals nothing.
      excludedPaths: [
        '/api/health'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: easyAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${easyAuthClientId}'
            easyAuthClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

// The identity's roles on its own resources: blob owner for the host's leases and the deployment package,
// queue and table contributor for the work queues, audit, runs and leases; metrics publisher for Entra
// ingestion into Application Insights.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roleIds.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Read-only access to the audit for a person or group (ie-janitor audit / runs from a workstation).
resource auditReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(auditReaderPrincipalId)) {
  name: guid(storage.id, auditReaderPrincipalId, roleIds.storageTableDataReader)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataReader)
    principalId: auditReaderPrincipalId
    principalType: auditReaderPrincipalType
  }
}

output functionAppName string = functionApp.name
output appInsightsId string = appInsights.id
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
output storageAccountName string = storage.name
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output blobServiceUri string = storage.properties.primaryEndpoints.blob
output queueServiceUri string = storage.properties.primaryEndpoints.queue
output tableServiceUri string = storage.properties.primaryEndpoints.table
