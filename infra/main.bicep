// importexport-janitor: everything the Functions app needs, deployed at subscription scope so one
// `azd up` (or `az deployment sub create`) makes the resource group, the app and its permissions on the
// target subscriptions. No registry modules: the templates must build offline.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------------------
// Where and what
// ---------------------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment (for example "prod"). Names the resource group and seeds the unique resource names.')
param environmentName string

// The regions that offer Flex Consumption. Microsoft does not publish a fixed list: "View currently supported
// regions" (https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#view-currently-supported-regions)
// says to ask `az functionapp list-flexconsumption-locations`. This list is the one of Microsoft's own azd
// Flex Consumption template (github.com/Azure-Samples/functions-quickstart-javascript-azd, infra/main.bicep),
// without the canary region eastus2euap. A region added later: run the command above and add it here.
@minLength(1)
@description('Azure region for every resource. Flex Consumption must be offered there.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create or reuse. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Subscriptions the janitor may scan and clean, comma separated. The custom role "Import/Export Janitor" is created with exactly these as assignable scopes and assigned to the janitor identity on each. Empty: assign nothing here (use infra/managementGroup.bicep instead).')
param targetSubscriptionIds string = ''

@minLength(1)
@description('Display name of the custom role. Custom role names are unique per tenant: a second environment in the same tenant needs its own name.')
param customRoleName string = 'Import/Export Janitor'

// ---------------------------------------------------------------------------------------------------------
// Janitor settings (README.md#settings, docs/deploy.md#app-settings). Safe defaults: plan mode, manual apply over HTTP disabled.
// ---------------------------------------------------------------------------------------------------------

@allowed([
  'plan'
  'apply'
])
@description('JANITOR_MODE: mode of the scheduled runs. Keep "plan" until the plans have been read.')
param janitorMode string = 'plan'

@minLength(1)
@description('JANITOR_SCHEDULE: six-field NCRONTAB in UTC.')
param janitorSchedule string = '0 0 3 * * *'

@description('JANITOR_POLICY: the policy document as an object. Empty: the built-in default policy (unless janitorPolicyPath is set).')
param janitorPolicy object = {}

@description('JANITOR_POLICY_PATH: path of a policy file inside the deployed package. Set this or janitorPolicy, not both.')
param janitorPolicyPath string = ''

@description('JANITOR_PAUSED: the kill switch. true = runs record "paused" and do nothing.')
param janitorPaused bool = false

@allowed([
  'disabled'
  'enabled'
])
@description('JANITOR_MANUAL_APPLY: allow apply runs requested over HTTP.')
param janitorManualApply string = 'disabled'

@minLength(3)
@description('JANITOR_AUDIT_RETENTION: ISO 8601 duration audit rows are kept.')
param janitorAuditRetention string = 'P400D'

// ---------------------------------------------------------------------------------------------------------
// Access for people
// ---------------------------------------------------------------------------------------------------------

@description('Client (application) id of an Entra ID app registration for Easy Auth. Empty: Easy Auth off (function keys only). The app registration is made outside Bicep: see docs/deploy.md.')
param easyAuthClientId string = ''

@description('Object id of a user, group or service principal that may read the audit and run tables with `ie-janitor audit` / `ie-janitor runs` (Storage Table Data Reader). Empty: none.')
param auditReaderPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
@description('Type of auditReaderPrincipalId.')
param auditReaderPrincipalType string = 'User'

// ---------------------------------------------------------------------------------------------------------
// Sizing
// ---------------------------------------------------------------------------------------------------------

@minValue(1)
@maxValue(1000)
@description('Flex Consumption: most instances the app may scale out to.')
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Flex Consumption: memory per instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(30)
@maxValue(730)
@description('Days Log Analytics keeps logs.')
param logRetentionDays int = 30

// ---------------------------------------------------------------------------------------------------------
// Alerts (docs/operations.md#alerts)
// ---------------------------------------------------------------------------------------------------------

@description('E-mail address the alerts go to (an action group). Empty: the alert rules still fire and show in the portal; nobody is mailed.')
param alertEmail string = ''

var tags = {
  'azd-env-name': environmentName
  application: 'importexport-janitor'
}

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

// "a, b ,c" -> ['a', 'b', 'c']; blanks dropped so an unset azd variable means "none".
var targetSubscriptions = filter(map(split(targetSubscriptionIds, ','), id => trim(id)), id => !empty(id))

// One definition per tenant and name, so redeploying updates it instead of colliding with itself.
var customRoleGuid = guid(tenant().tenantId, customRoleName)

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module app './modules/janitorApp.bicep' = {
  name: 'ie-janitor-app-${resourceToken}'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    janitorMode: janitorMode
    janitorSchedule: janitorSchedule
    janitorPolicy: janitorPolicy
    janitorPolicyPath: janitorPolicyPath
    janitorPaused: janitorPaused
    janitorManualApply: janitorManualApply
    janitorAuditRetention: janitorAuditRetention
    easyAuthClientId: easyAuthClientId
    auditReaderPrincipalId: auditReaderPrincipalId
    auditReaderPrincipalType: auditReaderPrincipalType
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    logRetentionDays: logRetentionDays
  }
}

// Alert rules and the workbook over the app's telemetry, next to its Application Insights.
module monitoring './modules/janitorMonitoring.bicep' = {
  name: 'ie-janitor-monitoring-${resourceToken}'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    appInsightsId: app.outputs.appInsightsId
    alertEmail: alertEmail
  }
}

// The custom role lives in the first target subscription; its assignable scopes are all the targets.
module janitorRole './modules/importExportJanitorRole.bicep' = if (!empty(targetSubscriptions)) {
  name: 'ie-janitor-role-${resourceToken}'
  scope: subscription(empty(targetSubscriptions) ? subscription().subscriptionId : targetSubscriptions[0])
  params: {
    roleGuid: customRoleGuid
    roleName: customRoleName
    assignableSubscriptionIds: targetSubscriptions
  }
}

module janitorRoleAssignments './modules/importExportJanitorAssignment.bicep' = [
  for subscriptionId in targetSubscriptions: {
    name: 'ie-janitor-assign-${uniqueString(subscriptionId, resourceToken)}'
    scope: subscription(subscriptionId)
    params: {
      roleGuid: customRoleGuid
      principalId: app.outputs.identityPrincipalId
    }
    dependsOn: [
      janitorRole
    ]
  }
]

// Outputs land in azd's .env: names and endpoints only, never keys or connection strings.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output AZURE_FUNCTION_APP_URL string = app.outputs.functionAppUrl
output AZURE_STORAGE_ACCOUNT_NAME string = app.outputs.storageAccountName
output JANITOR_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
output JANITOR_IDENTITY_PRINCIPAL_ID string = app.outputs.identityPrincipalId
output JANITOR_STORAGE__tableServiceUri string = app.outputs.tableServiceUri
output JANITOR_STORAGE__queueServiceUri string = app.outputs.queueServiceUri
output JANITOR_STORAGE__blobServiceUri string = app.outputs.blobServiceUri
output JANITOR_CUSTOM_ROLE_GUID string = empty(targetSubscriptions) ? '' : customRoleGuid
output JANITOR_TARGET_SUBSCRIPTION_IDS string = join(targetSubscriptions, ',')
