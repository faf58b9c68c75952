// Alerts and a workbook over the Application Insights data the app sends (docs/operations.md#alerts). Every
// query names a record or metric of src/domain/telemetryNames.ts (test/infra/monitoring.test.ts checks it):
// records are custom events (customEvents, name = the record), metrics are customMetrics (name = the metric).
// Log search alerts: https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule
// Workbooks in Bicep: https://learn.microsoft.com/azure/azure-monitor/visualize/workbooks-automate
targetScope = 'resourceGroup'

param location string
param tags object
@description('Short unique suffix for names.')
param resourceToken string
@description('Resource id of the Application Insights component the app sends to.')
param appInsightsId string
@description('E-mail address for alerts. Empty: the alerts fire and show in the portal, but nobody is mailed.')
param alertEmail string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-iejanitor-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'iejanitor'
    enabled: true
    emailReceivers: empty(alertEmail)
      ? []
      : [
          {
            name: 'janitor-operators'
            emailAddress: alertEmail
            useCommonAlertSchema: true
          }
        ]
  }
}

// One rule per question an operator asks. `query` counts rows; the rule fires when the count crosses the threshold.
var alerts = [
  {
    key: 'run-failed-or-partial'
    displayName: 'Import/Export janitor: a run failed or was partial'
    description: 'A run ended failed, or partial (a subscription failed or was deferred, or a breaker tripped). See docs/operations.md#alerts.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT15M'
    query: 'customEvents | where name == "RunFinished" | extend status = tostring(customDimensions.status), runId = tostring(customDimensions.runId) | where status in ("failed", "partial")'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    key: 'breaker-tripped'
    displayName: 'Import/Export janitor: a breaker tripped'
    description: 'A subscription had a suspicious share of its jobs eligible, so nothing was done there. See docs/operations.md#alerts.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT15M'
    query: 'customEvents | where name == "BreakerTripped" | extend runId = tostring(customDimensions.runId), subscriptionId = tostring(customDimensions.subscriptionId)'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    key: 'poison-message'
    displayName: 'Import/Export janitor: a message reached a poison queue'
    description: 'A run, part or notification failed five times and landed on janitor-runs-poison, janitor-parts-poison or janitor-notify-poison. See docs/operations.md#alerts.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT15M'
    query: 'customEvents | where name == "PoisonMessage" | extend queue = tostring(customDimensions.queue), runId = tostring(customDimensions.runId)'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    key: 'no-scheduled-run'
    displayName: 'Import/Export janitor: no successful scheduled run in 26 hours'
    description: 'Dead man\'s switch: no scheduled run ended succeeded or partial in the last 26 hours (the app is down, paused, or every run failed). See docs/operations.md#alerts.'
    severity: 1
    frequency: 'PT1H'
    window: 'P2D'
    query: 'customEvents | where timestamp > ago(26h) | where name == "RunFinished" | where tostring(customDimensions.trigger) == "timer" | where tostring(customDimensions.status) in ("succeeded", "partial")'
    operator: 'LessThan'
    threshold: 1
  }
  {
    key: 'notifications-failing'
    displayName: 'Import/Export janitor: notifications are not delivered'
    description: 'A notice could not be delivered to a JANITOR_NOTIFY target (after five attempts, or refused). See docs/operations.md#alerts.'
    severity: 3
    frequency: 'PT30M'
    window: 'PT30M'
    query: 'customEvents | where name == "NotificationFailed" | extend target = tostring(customDimensions.target), event = tostring(customDimensions.event)'
    operator: 'GreaterThan'
    threshold: 0
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in alerts: {
    name: 'alert-iejanitor-${alert.key}-${resourceToken}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      evaluationFrequency: alert.frequency
      windowSize: alert.window
      scopes: [
        appInsightsId
      ]
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: alert.operator
            threshold: alert.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

// The workbook: runs by status, actions per day by outcome, throttling, failures, the newest failed runs.
var thirtyDays = 2592000000
var workbookContent = {
  version: 'Notebook/1.0'
  items: [
    {
      type: 1
      name: 'intro'
      content: {
        json: '## Import/Export janitor\nRuns, actions and failures from the app\'s telemetry. What each alert means: docs/operations.md#alerts.'
      }
    }
    {
      type: 3
      name: 'runs-by-status'
      content: {
        version: 'KqlItem/1.0'
        title: 'Runs by status'
        query: 'customEvents | where name == "RunFinished" | summarize runs = count() by status = tostring(customDimensions.status), bin(timestamp, 1d) | render columnchart'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: {
          durationMs: thirtyDays
        }
        visualization: 'barchart'
      }
    }
    {
      type: 3
      name: 'actions-by-outcome'
      content: {
        version: 'KqlItem/1.0'
        title: 'Actions per day by outcome'
        query: 'customMetrics | where name == "janitor.actions" | summarize actions = sum(valueSum) by outcome = tostring(customDimensions.outcome), bin(timestamp, 1d) | render columnchart'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: {
          durationMs: thirtyDays
        }
        visualization: 'barchart'
      }
    }
    {
      type: 3
      name: 'throttling'
      content: {
        version: 'KqlItem/1.0'
        title: 'ARM throttling (429 answers)'
        query: 'customMetrics | where name == "janitor.arm.throttled" | summarize throttled = sum(valueSum) by bin(timestamp, 1h) | render timechart'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: {
          durationMs: thirtyDays
        }
        visualization: 'timechart'
      }
    }
    {
      type: 3
      name: 'failures'
      content: {
        version: 'KqlItem/1.0'
        title: 'Failures: actions failed or refused, breakers, poison messages, notifications'
        query: 'customEvents | where name in ("ActionOutcome", "BreakerTripped", "PoisonMessage", "NotificationFailed") | where name != "ActionOutcome" or tostring(customDimensions.outcome) in ("failed", "refused") | summarize failures = count() by name, bin(timestamp, 1d) | render columnchart'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: {
          durationMs: thirtyDays
        }
        visualization: 'barchart'
      }
    }
    {
      type: 3
      name: 'newest-failed-runs'
      content: {
        version: 'KqlItem/1.0'
        title: 'Newest failed or partial runs'
        query: 'customEvents | where name == "RunFinished" | extend status = tostring(customDimensions.status) | where status in ("failed", "partial") | project timestamp, runId = tostring(customDimensions.runId), status, trigger = tostring(customDimensions.trigger), mode = tostring(customDimensions.mode), error = tostring(customDimensions.error) | top 20 by timestamp desc'
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        timeContext: {
          durationMs: thirtyDays
        }
        visualization: 'table'
      }
    }
  ]
  fallbackResourceIds: [
    appInsightsId
  ]
  '$schema': 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'importexport-janitor-workbook', resourceToken)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Import/Export janitor'
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(workbookContent)
  }
}

output actionGroupId string = actionGroup.id
output workbookId string = workbook.id
