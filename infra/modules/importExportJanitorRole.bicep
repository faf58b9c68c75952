// The least privilege the janitor needs on a target subscription: list and read jobs, cancel them
// (classic: PATCH cancelRequested, and ARM has no narrower action than jobs/write; Data Box: jobs/cancel/action)
// and delete them (Data Box: and follow the delete's operation). Nothing else: not listBitLockerKeys, not
// listCredentials, no data actions. test/infra checks that this list stays exactly these
// (docs/service.md#roles).
targetScope = 'subscription'

@description('Name (a GUID) of the role definition; the same in every subscription it is assignable in.')
param roleGuid string

@description('Display name of the custom role (unique per tenant).')
param roleName string

@minLength(1)
@description('Subscriptions where the role may be assigned.')
param assignableSubscriptionIds array

resource importExportJanitorRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: roleGuid
  properties: {
    roleName: roleName
    description: 'importexport-janitor: read, cancel and delete Azure Import/Export jobs (classic and Data Box). Nothing else.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.ImportExport/jobs/read'
          'Microsoft.ImportExport/jobs/write'
          'Microsoft.ImportExport/jobs/delete'
          // Data Box jobs (Import/Export's newer experience): list and read, cancel, delete, and read a
          // delete's long-running operation. Not jobs/write, not listCredentials.
          'Microsoft.DataBox/jobs/read'
          'Microsoft.DataBox/jobs/cancel/action'
          'Microsoft.DataBox/jobs/delete'
          'Microsoft.DataBox/locations/operationResults/read'
        ]
        notActions: []
      }
    ]
    assignableScopes: [for id in assignableSubscriptionIds: '/subscriptions/${id}']
  }
}

output roleDefinitionId string = importExportJanitorRole.id
